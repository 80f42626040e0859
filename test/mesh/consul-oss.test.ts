// Consul OSS has no namespaces: every consul_*_namespace is `default`, and
// only Prometheus' `namespace` label places a sidecar in Kubernetes. The
// adapter places an upstream in the Kubernetes namespace whose pods serve it
// (src/mesh/consul/directory.ts; the rule is in docs/meshes.md). The fixture
// topology's full equivalence for Consul OSS runs in equivalence.test.ts;
// here: the rule itself, a service served from two namespaces, the fixture
// without a resolver and with the Kubernetes inventory, and the query count
// at 3 and 300 Deployments spread over namespaces.

import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import type { EdgeStats } from "../../src/domain/edges.ts";
import type { ResourceKind } from "../../src/domain/kinds.ts";
import { refKey, type ResourceRef } from "../../src/domain/resource.ts";
import { KubeClient } from "../../src/kube/client.ts";
import { KubeInventory } from "../../src/kube/inventory.ts";
import { ConsulAdapter } from "../../src/mesh/consul/spec.ts";
import { ConsulDirectory } from "../../src/mesh/consul/directory.ts";
import type { WorkloadResolver } from "../../src/mesh/infer.ts";
import { PrometheusClient } from "../../src/prometheus/client.ts";
import { consulFormat } from "../../src/demo/traffic/consul.ts";
import { latencyOf } from "../../src/demo/traffic/latency.ts";
import { buildModel, resourcesOf, type TopologySpec, type TrafficModel, type WorkloadId } from "../../src/demo/traffic/model.ts";
import { FakeKubeApiServer } from "../fakes/kube-apiserver.ts";
import { namespace } from "../fakes/kube-objects.ts";
import { objectsOf } from "../fakes/model-cluster.ts";
import { expectedEdgeCounts, expectedEdges, expectedInbound } from "../fixtures/expected.ts";
import { HISTORY, REFS, SCALE_HISTORY, T0, T0_DATE, scaleTopology, topologyModel } from "../fixtures/topology.ts";
import { startPrometheus, type PrometheusInstance } from "../harness/prometheus.ts";

const oss = consulFormat({ namespaces: "oss" });
const WINDOW = { seconds: 60 } as const;

/** Edges as sortable lines with exact counts, so one deepEqual shows every difference. */
const edgeLine = (resource: ResourceRef, direction: string, peer: ResourceRef, success: number, failure: number): string =>
  `${refKey(resource)} ${direction} ${refKey(peer)} ${success}/${failure}`;
const gotEdges = (edges: readonly EdgeStats[]): string[] =>
  edges.map((e) => edgeLine(e.resource, e.direction, e.peer, e.stats.golden!.success, e.stats.golden!.failure)).sort();
const wantEdges = (model: TrafficModel, refs: readonly ResourceRef[], kind: ResourceKind, seconds: number): string[] =>
  refs
    .flatMap((r) =>
      expectedEdges(model, r, kind, T0 - seconds, T0).map((e) => edgeLine(r, e.direction, e.peer, e.counts.success, e.counts.failure)),
    )
    .sort();

/** A server row and a client row of the directory query, as Prometheus answers them. */
const server = (namespace: string, consulNamespace: string | null, service: string) => ({
  labels: {
    namespace,
    ...(consulNamespace === null ? {} : { consul_source_namespace: consulNamespace }),
    consul_source_service: service,
    pod: `${service}-7d9f8c6b5d-x2x4z`,
    envoy_http_conn_manager_prefix: "public_listener",
  },
  value: 1,
});
const client = (namespace: string, service: string) => ({
  labels: { namespace, consul_source_namespace: "default", consul_source_service: service, pod: `${service}-0` },
  value: 1,
});

describe("Consul: an upstream's Kubernetes namespace (the documented rule)", () => {
  const directory = new ConsulDirectory(
    [
      server("team-a", "default", "api"),
      server("team-b", "default", "api"),
      server("team-b", null, "billing"), // older Consul OSS: no namespace tag
      server("shop", "shop", "cart"), // Consul Enterprise, mirrored
      server("default", "default", "cart"),
      client("ops", "api"), // a client called api serves nothing
    ],
    null,
  );
  it("served from one Kubernetes namespace: that one, across namespaces, with or without the tag", () => {
    assert.equal(directory.upstreamNamespace("default", "billing", "ops"), "team-b");
    assert.equal(directory.upstreamNamespace(undefined, "billing", "ops"), "team-b");
  });
  it("served from several: the caller's own, else unresolved", () => {
    assert.equal(directory.upstreamNamespace("default", "api", "team-a"), "team-a");
    assert.equal(directory.upstreamNamespace("default", "api", "team-b"), "team-b");
    assert.equal(directory.upstreamNamespace("default", "api", "ops"), null);
  });
  it("only servers registered in that Consul namespace count (mirrored namespaces stay exact)", () => {
    assert.equal(directory.upstreamNamespace("shop", "cart", "default"), "shop");
    assert.equal(directory.upstreamNamespace("default", "cart", "shop"), "default");
  });
  it("no server seen: a named Consul namespace reads as mirrored, `default` stays unresolved", () => {
    assert.equal(directory.upstreamNamespace("team-x", "unseen", "ops"), "team-x");
    assert.equal(directory.upstreamNamespace("default", "unseen", "ops"), null);
  });
});

// ---- against a real Prometheus ----

const fast = latencyOf(0.5, 2, 6, 18, 60);
const at = (ns: string, name: string): WorkloadId => ({ namespace: ns, name });
const edge = (from: WorkloadId, to: WorkloadId, rps: number) => ({
  from,
  to,
  rps,
  status: { 200: 0.9, 500: 0.1 },
  latency: fast,
  tls: true,
});

/** Service `api` in two namespaces; `billing` in one. */
const TWO_APIS: TopologySpec = {
  workloads: [
    { namespace: "team-a", name: "web", kind: "DEPLOYMENT", replicas: 1 },
    { namespace: "team-a", name: "api", kind: "DEPLOYMENT", replicas: 2 },
    { namespace: "team-b", name: "api", kind: "DEPLOYMENT", replicas: 1 },
    { namespace: "team-b", name: "billing", kind: "DEPLOYMENT", replicas: 1 },
    { namespace: "ops", name: "probe", kind: "DEPLOYMENT", replicas: 1 },
  ],
  edges: [
    edge(at("team-a", "web"), at("team-a", "api"), 3), // the caller's namespace serves api
    edge(at("team-a", "web"), at("team-b", "billing"), 1), // one namespace serves billing
    edge(at("ops", "probe"), at("team-b", "api"), 2), // ambiguous: dropped
    edge(at("ops", "probe"), at("team-b", "billing"), 1),
  ],
};
const AMBIGUOUS = (line: string) =>
  line.startsWith("DEPLOYMENT/ops/probe TO DEPLOYMENT/team-b/api ") || line.startsWith("DEPLOYMENT/team-b/api FROM DEPLOYMENT/ops/probe ");

/** scaleTopology's ring of n Deployments, spread over three namespaces: every edge crosses namespaces. */
function spreadRing(n: number): TopologySpec {
  const ring = scaleTopology(n);
  const index = new Map(ring.workloads.map((w, i) => [w.name, i]));
  const move = (w: WorkloadId): WorkloadId => ({ namespace: `ring-${index.get(w.name)! % 3}`, name: w.name });
  return {
    workloads: ring.workloads.map((w) => ({ ...w, ...move(w) })),
    edges: ring.edges.map((e) => ({ ...e, from: move(e.from), to: move(e.to) })),
  };
}

const fixture = topologyModel();
const twoApis = buildModel(TWO_APIS);
const rings = new Map([3, 300].map((n) => [n, buildModel(spreadRing(n))]));
const proms = new Map<string, PrometheusInstance>();
let kube: FakeKubeApiServer;
let inventory: KubeInventory;

before(async () => {
  const started: Array<[string, Promise<PrometheusInstance>]> = [
    ["fixture", startPrometheus({ model: fixture, formats: [oss], ...HISTORY })],
    ["two-apis", startPrometheus({ model: twoApis, formats: [oss], ...SCALE_HISTORY })],
    ...[...rings].map(([n, model]): [string, Promise<PrometheusInstance>] => [
      `ring-${n}`,
      startPrometheus({ model, formats: [consulFormat({ namespaces: "oss", trafficOnly: true })], ...SCALE_HISTORY }),
    ]),
  ];
  for (const [name, p] of started) proms.set(name, await p);
  kube = await FakeKubeApiServer.start();
  for (const ns of fixture.namespaces) kube.apply(namespace(ns));
  for (const w of fixture.workloads) for (const o of objectsOf(w, "consul-dataplane")) kube.apply(o);
  inventory = new KubeInventory(new KubeClient(kube.kubeConfig()));
  await inventory.ready();
});

after(async () => {
  inventory?.close();
  await kube?.close();
  await Promise.all([...proms.values()].map((p) => p.stop()));
});

const adapter = (prom: string, resolver: WorkloadResolver | null = null) =>
  new ConsulAdapter(new PrometheusClient({ baseUrl: proms.get(prom)!.url }), resolver);

describe("Consul OSS: a service served from two Kubernetes namespaces", () => {
  it("goes to the caller's namespace when it serves it, to the only server otherwise, and is dropped when ambiguous", async () => {
    const refs = resourcesOf(twoApis, "DEPLOYMENT");
    const got = gotEdges(await adapter("two-apis").edges({ kind: "DEPLOYMENT", refs, window: WINDOW, at: T0_DATE }));
    const want = wantEdges(twoApis, refs, "DEPLOYMENT", WINDOW.seconds);
    assert.equal(want.filter(AMBIGUOUS).length, 2, "the model has the ambiguous edge");
    assert.deepEqual(
      got,
      want.filter((l) => !AMBIGUOUS(l)),
    );
  });
  it("namespace edges leave the ambiguous traffic out too; resource stats are unaffected", async () => {
    const a = adapter("two-apis");
    const namespaces = resourcesOf(twoApis, "NAMESPACE");
    const edges = await a.edges({ kind: "NAMESPACE", refs: namespaces, window: WINDOW, at: T0_DATE });
    const opsToB = edges.find((e) => e.direction === "TO" && e.resource.name === "ops" && e.peer.name === "team-b");
    const probe = { kind: "DEPLOYMENT", namespace: "ops", name: "probe" } as const;
    const billing = expectedEdgeCounts(
      twoApis,
      probe,
      { kind: "DEPLOYMENT", namespace: "team-b", name: "billing" },
      T0 - WINDOW.seconds,
      T0,
    );
    assert.deepEqual(opsToB && { s: opsToB.stats.golden!.success, f: opsToB.stats.golden!.failure }, {
      s: billing.success,
      f: billing.failure,
    });
    const api = { kind: "DEPLOYMENT", namespace: "team-b", name: "api" } as const;
    const stats = (await a.resourceStats({ kind: "DEPLOYMENT", refs: [api], window: WINDOW, at: T0_DATE })).get(refKey(api));
    const want = expectedInbound(twoApis, api, T0 - WINDOW.seconds, T0);
    assert.deepEqual(stats?.golden && { s: stats.golden.success, f: stats.golden.failure }, { s: want.success, f: want.failure });
  });
});

describe("Consul OSS: the fixture's cross-namespace edges", () => {
  for (const [name, withInventory] of [
    ["without a resolver (pod names)", false],
    ["with the Kubernetes inventory", true],
  ] as const) {
    for (const kind of ["NAMESPACE", "DEPLOYMENT", "REPLICASET"] as const) {
      it(`${name}: ${kind} edges equal the model's`, async () => {
        // Without a cluster, the standalone ReplicaSet reads as a DaemonSet (docs/meshes.md).
        const expressible = (text: string) => withInventory || !text.includes(refKey(REFS.canary));
        const refs = resourcesOf(fixture, kind).filter((r) => expressible(refKey(r)));
        const got = await adapter("fixture", withInventory ? inventory : null).edges({
          kind,
          refs,
          window: { seconds: 3600 },
          at: T0_DATE,
        });
        const want = wantEdges(fixture, refs, kind, 3600).filter(expressible);
        assert.ok(
          want.some((l) => l.includes("/data") && l.includes("/shop")),
          "the fixture has cross-namespace edges",
        );
        assert.deepEqual(gotEdges(got), want);
      });
    }
  }
});

describe("Consul OSS: the query count does not depend on the batch", () => {
  const ask = async (n: number, kind: "NAMESPACE" | "DEPLOYMENT") => {
    const model = rings.get(n)!;
    const prom = proms.get(`ring-${n}`)!;
    const refs = resourcesOf(model, kind);
    const a = adapter(`ring-${n}`);
    prom.resetQueries();
    const [stats, edges] = await Promise.all([
      a.resourceStats({ kind, refs, window: WINDOW, at: T0_DATE }),
      a.edges({ kind, refs, window: WINDOW, at: T0_DATE }),
    ]);
    const queries = prom.queries().length;
    assert.deepEqual(gotEdges(edges), wantEdges(model, refs, kind, WINDOW.seconds), `edges at ${n}`);
    for (const r of refs) {
      const want = expectedInbound(model, r, T0 - WINDOW.seconds, T0);
      const s = stats.get(refKey(r));
      assert.deepEqual(s?.golden && { s: s.golden.success, f: s.golden.failure }, { s: want.success, f: want.failure }, refKey(r));
    }
    return queries;
  };
  for (const kind of ["DEPLOYMENT", "NAMESPACE"] as const) {
    it(`${kind}: resourceStats + edges, 3 and 300 Deployments over three namespaces, exact answers`, async () => {
      const small = await ask(3, kind);
      const large = await ask(300, kind);
      console.log(`# consul-oss ${kind}: ${small} queries at 3 deployments, ${large} at 300`);
      assert.ok(small > 0);
      assert.equal(large, small);
    });
  }
});
