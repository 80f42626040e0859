// The workload graph and time series over GraphQL, against a real Prometheus
// loaded with the fixture topology as Linkerd metrics. Every expected number
// comes from the traffic model (test/fixtures/expected.ts).

import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import type { ResourceRef } from "../../src/domain/resource.ts";
import type { Gateway } from "../../src/server/gateway.ts";
import { ANONYMOUS } from "../../src/service/access.ts";
import { edgeKey } from "../../src/service/graph.ts";
import type { RequestScope } from "../../src/service/types.ts";
import { linkerd } from "../../src/demo/traffic/linkerd.ts";
import { expectedInbound, expectedTraffic, expectedEdgeCounts } from "../fixtures/expected.ts";
import { DATA, HISTORY, REFS, SHOP, T0, T0_DATE, topologyModel } from "../fixtures/topology.ts";
import { ResourceSeriesDocument, WorkloadGraphDocument, WorkloadGraphSeriesDocument } from "../generated/graphql.ts";
import { startPrometheus, type PrometheusInstance } from "../harness/prometheus.ts";
import { data, execute, testGateway } from "../support/gateway.ts";

const model = topologyModel();
let prometheus: PrometheusInstance;
let gateway: Gateway;

before(async () => {
  prometheus = await startPrometheus({ model, formats: [linkerd], ...HISTORY });
  gateway = await testGateway(prometheus.url, "linkerd");
});

after(async () => {
  await gateway?.close();
  await prometheus?.stop();
});

const id = (r: ResourceRef | null): string => (r ? `${r.kind}/${r.namespace ?? ""}/${r.name}` : "unknown");
const iso = (t: number): string => new Date(t * 1000).toISOString();

describe("graph", () => {
  for (const namespaces of [[SHOP], [DATA], [SHOP, DATA]]) {
    it(`of ${namespaces.join(" and ")}: every workload of any kind, peers outside, unknown callers; numbers as in the model`, async () => {
      const got = (await data(gateway, WorkloadGraphDocument, { namespaces, window: "5m", at: iso(T0) })).graph;
      const pairs = expectedTraffic(model, namespaces, T0 - 300, T0);
      assert.ok(pairs.length > 0);

      const wantNodes = new Map<string, ResourceRef | null>();
      for (const p of pairs) for (const r of [p.from, p.to]) wantNodes.set(id(r), r);
      assert.deepEqual(got.nodes.map((n) => n.id).sort(), [...wantNodes.keys()].sort());
      for (const n of got.nodes) {
        const ref = wantNodes.get(n.id)!;
        if (ref === null) {
          assert.equal(n.type, "UNKNOWN");
          assert.equal(n.resource, null);
          assert.equal(n.metrics?.requestCount, 0, "unknown callers receive nothing");
          continue;
        }
        assert.equal(n.type, "WORKLOAD");
        assert.deepEqual(n.resource, { kind: ref.kind, namespace: ref.namespace, name: ref.name });
        assert.equal(n.outside, !namespaces.includes(ref.namespace!), `${n.id} outside`);
        const inbound = expectedInbound(model, ref, T0 - 300, T0);
        assert.deepEqual([n.metrics?.successCount, n.metrics?.failureCount], [inbound.success, inbound.failure], `${n.id} received`);
      }

      assert.equal(got.edges.length, pairs.length);
      for (const p of pairs) {
        const e = got.edges.find((x) => x.source.id === id(p.from) && x.destination.id === id(p.to));
        assert.ok(e, `edge ${id(p.from)} -> ${id(p.to)}`);
        assert.deepEqual(
          [e.metrics?.successCount, e.metrics?.failureCount],
          [p.counts.success, p.counts.failure],
          `${id(p.from)} -> ${id(p.to)}`,
        );
        assert.equal(e.mtls, p.mtls, `${id(p.from)} -> ${id(p.to)} mtls`);
      }
    });
  }

  it("has the cross-kind edges and the unmeshed caller of the fixture", async () => {
    const got = (await data(gateway, WorkloadGraphDocument, { namespaces: [SHOP], window: "5m", at: iso(T0) })).graph;
    const edges = got.edges.map((e) => `${e.source.id} -> ${e.destination.id}`);
    for (const e of [
      `${id(REFS.cart)} -> ${id(REFS.db)}`,
      `${id(REFS.nodeAgent)} -> ${id(REFS.catalog)}`,
      `unknown -> ${id(REFS.frontend)}`,
    ]) {
      assert.ok(edges.includes(e), `${e} in ${edges.join(", ")}`);
    }
    // The unmeshed load generator has no sidecar: it is the unknown caller, never a node of its own.
    assert.ok(!got.nodes.some((n) => n.id.endsWith("/loadgen")));
  });

  it("without namespaces: every namespace", async () => {
    const got = (await data(gateway, WorkloadGraphDocument, { window: "5m", at: iso(T0) })).graph;
    assert.ok(got.nodes.every((n) => !n.outside));
    assert.equal(got.edges.length, expectedTraffic(model, [SHOP, DATA], T0 - 300, T0).length);
  });

  it("refuses a namespace that is not a Kubernetes name", async () => {
    const got = await execute(gateway, WorkloadGraphDocument, { namespaces: ["Not_A_Name"], window: "5m" });
    assert.equal(got.errors[0]?.extensions?.code, "BAD_USER_INPUT");
  });
});

describe("series", () => {
  it("of a Deployment: one point a minute for an hour, each equal to the model's minute ending there", async () => {
    const got = (
      await data(gateway, ResourceSeriesDocument, { ...REFS.frontend, namespace: SHOP, window: "1m", range: "1h", step: "1m", at: iso(T0) })
    ).resource!;
    assert.equal(got.series?.length, 60);
    got.series!.forEach((point, i) => {
      const t = T0 - (59 - i) * 60;
      assert.equal(point.timestamp, iso(t));
      const want = expectedInbound(model, REFS.frontend, t - 60, t);
      assert.deepEqual([point.successCount, point.failureCount], [want.success, want.failure], point.timestamp);
      assert.ok(point.latency.p99 !== null);
    });
  });

  it("of edges of any kind, same-kind and cross-kind", async () => {
    const got = (
      await data(gateway, ResourceSeriesDocument, {
        ...REFS.frontend,
        namespace: SHOP,
        window: "1m",
        range: "10m",
        step: "1m",
        at: iso(T0),
      })
    ).resource!;
    const peers = got.edges!.map((e) => `${e.direction} ${e.peer.kind}/${e.peer.name}`).sort();
    assert.deepEqual(peers, ["TO DEPLOYMENT/cart", "TO DEPLOYMENT/catalog", "TO REPLICASET/canary"]);
    for (const e of got.edges!) {
      const peer = { kind: e.peer.kind, namespace: e.peer.namespace, name: e.peer.name };
      assert.equal(e.series?.length, 10);
      e.series!.forEach((point, i) => {
        const t = T0 - (9 - i) * 60;
        assert.equal(
          point.requestCount,
          expectedEdgeCounts(model, REFS.frontend, peer, t - 60, t).total,
          `${e.peer.name} at ${point.timestamp}`,
        );
      });
    }
  });

  it("leaves out steps before the backend has data", async () => {
    const at = HISTORY.start + 600;
    const got = (
      await data(gateway, ResourceSeriesDocument, { ...REFS.frontend, namespace: SHOP, window: "1m", range: "1h", step: "1m", at: iso(at) })
    ).resource!;
    assert.deepEqual(
      got.series!.map((p) => p.timestamp),
      Array.from({ length: 11 }, (_, i) => iso(HISTORY.start + i * 60)),
    );
  });

  it("of graph nodes and edges, the unknown caller's included", async () => {
    const got = (
      await data(gateway, WorkloadGraphSeriesDocument, { namespaces: [SHOP], window: "1m", range: "5m", step: "1m", at: iso(T0) })
    ).graph;
    const unknown = got.edges.find((e) => e.source.id === "unknown")!;
    const frontend = got.nodes.find((n) => n.id === id(REFS.frontend))!;
    for (let i = 0; i < 5; i++) {
      const t = T0 - (4 - i) * 60;
      const pairs = expectedTraffic(model, [SHOP], t - 60, t);
      const fromUnknown = pairs.find((p) => p.from === null && id(p.to) === id(REFS.frontend))!;
      assert.equal(unknown.series![i]!.requestCount, fromUnknown.counts.total);
      assert.equal(frontend.series![i]!.requestCount, expectedInbound(model, REFS.frontend, t - 60, t).total);
    }
  });

  it("of a graph: its steps are built once per request for all of its nodes and edges, never shared with another request", async () => {
    const graphOf = async (scope: RequestScope) => scope.graph([SHOP], scope.metricsQuery({ window: "1m", at: T0_DATE }));
    const scope = gateway.service.scope(ANONYMOUS);
    const graph = await graphOf(scope);
    const steps = scope.seriesQuery({ range: "5m", step: "1m", at: T0_DATE });
    const first = await scope.graphSeries(graph.basis, steps, false);
    assert.equal(first.length, 5);
    // What every edge's and node's series asks: the very same steps, not a graph per step per edge.
    assert.equal(await scope.graphSeries(graph.basis, steps, false), first);
    assert.notEqual(await scope.graphSeries(graph.basis, steps, true), first, "with latency: another question");
    const other = gateway.service.scope(ANONYMOUS);
    assert.notEqual(await other.graphSeries((await graphOf(other)).basis, steps, false), first, "another request builds its own");
    // Each step finds its edges by their ends, as they are in the step's graph.
    for (const step of first) for (const e of step.view.edges) assert.equal(step.edges.get(edgeKey(e.source.id, e.destination.id)), e);
  });

  it("refuses more than 1,000 points, and a step below the scrape interval", async () => {
    for (const [range, step] of [
      ["1d", "30s"],
      ["1h", "5s"],
    ] as const) {
      const got = await execute(gateway, ResourceSeriesDocument, {
        ...REFS.frontend,
        namespace: SHOP,
        window: "1m",
        range,
        step,
        at: iso(T0),
      });
      assert.equal(got.errors[0]?.extensions?.code, "BAD_USER_INPUT", `${range} at ${step}`);
      assert.equal(got.errors[0]?.extensions?.argument, "step");
    }
  });
});
