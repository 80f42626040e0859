// THE CROSS-MESH EQUIVALENCE SUITE. One topology model, backfilled once per
// mesh format into a real Prometheus 2.42; the same adapter questions must get
// the same answers from Linkerd, Istio and Consul:
// - counts exactly, and equal to the model's (test/fixtures/expected.ts): the
//   backfilled samples sit on window edges, so increase() extrapolates by 1;
// - percentiles equal to Prometheus' histogram_quantile over the model's own
//   buckets for that mesh's bounds (the mesh's only error is its buckets'),
//   within the width of the bucket(s) holding the true percentile, and Istio
//   and Consul (same Envoy bounds) equal to each other;
// - seen resources, both edge directions across namespaces, an idle
//   workload, 404 as success and 5xx as failure.
// Istio and Consul get the model as resolver (the Kubernetes inventory's
// stand-in), so Jobs and standalone ReplicaSets are expressible; the
// inference-only answers are checked in the last section.

import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import type { EdgeStats } from "../../src/domain/edges.ts";
import type { ResourceKind } from "../../src/domain/kinds.ts";
import { type GoldenStats, type MeasureName, QUANTILES, quantileField, type TcpStats } from "../../src/domain/metrics.ts";
import { refKey, type ResourceRef } from "../../src/domain/resource.ts";
import type { MeshAdapter, MeshName } from "../../src/mesh/adapter.ts";
import { ConsulAdapter } from "../../src/mesh/consul/spec.ts";
import { IstioAdapter } from "../../src/mesh/istio/spec.ts";
import { LinkerdAdapter } from "../../src/mesh/linkerd/spec.ts";
import { PrometheusClient } from "../../src/prometheus/client.ts";
import { consul, consulFormat, ENVOY_LATENCY_BOUNDS_MS } from "../../src/demo/traffic/consul.ts";
import {
  type ExpectedTcp,
  expectedBuckets,
  expectedEdges,
  expectedInbound,
  expectedTcp,
  expectedTcpEdges,
  expectedTraffic,
  type ExpectedPair,
  type FlowFilter,
  inboundConnectionsOf,
  inboundOf,
} from "../fixtures/expected.ts";
import type { MeshFormat } from "../../src/demo/traffic/format.ts";
import { istio, ISTIO_LATENCY_BOUNDS_MS } from "../../src/demo/traffic/istio.ts";
import { histogramQuantile } from "../../src/domain/histogram.ts";
import { linkerd, LINKERD_LATENCY_BOUNDS_MS } from "../../src/demo/traffic/linkerd.ts";
import { resourcesOf, workloadRef } from "../../src/demo/traffic/model.ts";
import { startPrometheus, type PrometheusInstance } from "../harness/prometheus.ts";
import { DATA, HISTORY, REFS, SHOP, T0, topologyModel } from "../fixtures/topology.ts";
import {
  checkExistence,
  edgeFlows,
  expectedSeen,
  isStandaloneReplicaSet,
  modelResolver,
  percentileBound,
  trueQuantile,
} from "./support.ts";

const model = topologyModel();
const resolver = modelResolver(model);

interface MeshCase {
  readonly name: MeshName | "consul-oss";
  readonly format: MeshFormat;
  readonly bounds: readonly number[];
  readonly make: (prom: PrometheusClient) => MeshAdapter;
  /** Kinds whose resource stats and listings the mesh can express. */
  readonly statKinds: readonly ResourceKind[];
  readonly edgeKinds: readonly ResourceKind[];
  /** Whether a ref is expressible (all are, today; kept for meshes that label fewer kinds). */
  readonly expresses: (ref: ResourceRef) => boolean;
  /** The mTLS the mesh reports for an edge the model calls tls (false: some of it plaintext). */
  readonly mtls: (model: boolean) => boolean | null;
  /** Whether the mesh keeps a gauge of open connections (Istio does not: openConnections is null). */
  readonly openGauge: boolean;
}

const ALL: readonly ResourceKind[] = ["NAMESPACE", "POD", "DEPLOYMENT", "DAEMONSET", "STATEFULSET", "REPLICASET", "JOB"];
const NOT_POD = ALL.filter((k) => k !== "POD");

const MESHES: readonly MeshCase[] = [
  {
    name: "linkerd",
    format: linkerd,
    bounds: LINKERD_LATENCY_BOUNDS_MS,
    make: (q) => new LinkerdAdapter(q),
    statKinds: ALL,
    edgeKinds: ALL,
    expresses: () => true,
    mtls: (m) => m,
    openGauge: true,
  },
  {
    name: "istio",
    format: istio,
    bounds: ISTIO_LATENCY_BOUNDS_MS,
    make: (q) => new IstioAdapter(q, resolver),
    statKinds: ALL,
    edgeKinds: NOT_POD,
    expresses: () => true,
    mtls: (m) => m,
    openGauge: false,
  },
  {
    name: "consul",
    format: consul,
    bounds: ENVOY_LATENCY_BOUNDS_MS,
    make: (q) => new ConsulAdapter(q, resolver),
    statKinds: ALL,
    edgeKinds: NOT_POD,
    expresses: () => true,
    // Consul connect is mTLS between sidecars whatever the model says.
    mtls: () => true,
    openGauge: true,
  },
  {
    // Consul OSS: no Consul namespaces, every service is in `default`.
    name: "consul-oss",
    format: consulFormat({ namespaces: "oss" }),
    bounds: ENVOY_LATENCY_BOUNDS_MS,
    make: (q) => new ConsulAdapter(q, resolver),
    statKinds: ALL,
    edgeKinds: NOT_POD,
    expresses: () => true,
    mtls: () => true,
    openGauge: true,
  },
];

const WINDOWS = [
  { seconds: 30, end: T0 },
  { seconds: 3600, end: T0 },
  { seconds: 3600, end: T0 - 600 },
] as const;

const proms = new Map<MeshCase["name"], PrometheusInstance>();
const adapters = new Map<MeshCase["name"], MeshAdapter>();

before(async () => {
  const started = performance.now();
  await Promise.all(
    MESHES.map(async (m) => {
      const prom = await startPrometheus({ model, formats: [m.format], ...HISTORY });
      proms.set(m.name, prom);
      adapters.set(m.name, m.make(new PrometheusClient({ baseUrl: prom.url })));
    }),
  );
  console.log(`# equivalence: ${MESHES.length} Prometheus ready in ${((performance.now() - started) / 1000).toFixed(1)}s`);
});

after(async () => {
  await Promise.all([...proms.values()].map((p) => p.stop()));
});

const adapter = (m: MeshCase["name"]) => adapters.get(m)!;
const at = (t: number) => new Date(t * 1000);

/** Percentiles of `stats` against the model: Prometheus' own interpolation of the model's buckets, and the truth within the bound. */
function checkPercentiles(mesh: MeshCase, stats: GoldenStats, filter: FlowFilter, start: number, end: number, what: string): void {
  const buckets = expectedBuckets(model, filter, start, end, mesh.bounds);
  for (const q of QUANTILES) {
    const got = stats.latency[quantileField(q)];
    const want = histogramQuantile(q, buckets);
    assert.ok(got !== null && Number.isFinite(want), `${what} p${q * 100}: ${got} (model ${want})`);
    assert.ok(
      Math.abs(got - want) <= 1e-9 * Math.max(1, want),
      `${what} p${q * 100}: ${got} vs histogram_quantile over the model's buckets ${want}`,
    );
    const truth = trueQuantile(model, filter, start, end, q)!;
    const bound = percentileBound(mesh.bounds, got, truth);
    assert.ok(Math.abs(got - truth) <= bound, `${what} p${q * 100}: ${got} vs true ${truth}, bound ${bound}`);
  }
}

for (const mesh of MESHES) {
  describe(`${mesh.name}: resource stats equal the model's`, () => {
    for (const kind of mesh.statKinds) {
      for (const w of WINDOWS) {
        it(`${kind}, ${w.seconds}s window at T0-${T0 - w.end}s`, async () => {
          const start = w.end - w.seconds;
          const refs = resourcesOf(model, kind).filter(mesh.expresses);
          assert.ok(refs.length > 0);
          const got = await adapter(mesh.name).resourceStats({ kind, refs, window: { seconds: w.seconds }, at: at(w.end) });
          const wanted = new Set(refs.map(refKey));
          for (const key of got.keys()) assert.ok(wanted.has(key), `${key} was not asked for`);
          for (const r of refs) {
            const e = expectedInbound(model, r, start, w.end);
            const s = got.get(refKey(r))?.golden;
            if (e.total === 0) {
              assert.ok(s === undefined || s.success + s.failure === 0, `${refKey(r)} is idle in the model`);
              continue;
            }
            assert.ok(s, `${refKey(r)} has no stats`);
            assert.deepEqual({ success: s.success, failure: s.failure }, { success: e.success, failure: e.failure }, refKey(r));
            checkPercentiles(mesh, s, inboundOf(r), start, w.end, refKey(r));
          }
        });
      }
    }
  });

  describe(`${mesh.name}: edges equal the model's`, () => {
    for (const kind of mesh.edgeKinds) {
      for (const w of WINDOWS) {
        it(`${kind}, ${w.seconds}s window at T0-${T0 - w.end}s`, async () => {
          const start = w.end - w.seconds;
          const refs = resourcesOf(model, kind).filter(mesh.expresses);
          const got = await adapter(mesh.name).edges({ kind, refs, window: { seconds: w.seconds }, at: at(w.end) });
          let compared = 0;
          for (const r of refs) {
            const want = expectedEdges(model, r, kind, start, w.end).filter((e) => mesh.expresses(e.peer));
            const mine = got.filter((e) => refKey(e.resource) === refKey(r));
            const key = (d: string, p: ResourceRef) => `${d} ${refKey(p)}`;
            assert.deepEqual(
              mine.map((e) => key(e.direction, e.peer)).sort(),
              want.map((e) => key(e.direction, e.peer)).sort(),
              `edges of ${refKey(r)}`,
            );
            for (const e of want) {
              const found = mine.find((x) => x.direction === e.direction && refKey(x.peer) === refKey(e.peer))!;
              const g = { ...found, stats: found.stats.golden! };
              const what = `${refKey(r)} ${key(e.direction, e.peer)}`;
              assert.deepEqual(
                { success: g.stats.success, failure: g.stats.failure },
                { success: e.counts.success, failure: e.counts.failure },
                what,
              );
              assert.equal(g.mtls, mesh.mtls(e.mtls), `${what} mtls`);
              checkPercentiles(mesh, g.stats, edgeFlows(r, e.direction, e.peer), start, w.end, what);
              compared++;
            }
          }
          // The fixture has same-kind edges for these kinds (none between DaemonSets, StatefulSets or Jobs).
          if (["NAMESPACE", "POD", "DEPLOYMENT", "REPLICASET"].includes(kind))
            assert.ok(compared > 0, "the fixture has edges of this kind");
        });
      }
    }
  });

  describe(`${mesh.name}: seen resources equal the model's`, () => {
    for (const kind of mesh.statKinds) {
      it(kind, async () => {
        const got = await adapter(mesh.name).seenResources({ kind, namespace: null, at: at(T0), lookback: { seconds: 300 } });
        const want = expectedSeen(model, kind).filter(mesh.expresses);
        assert.deepEqual(got.map(refKey).sort(), want.map(refKey).sort());
      });
    }
    it("in one namespace", async () => {
      const got = await adapter(mesh.name).seenResources({ kind: "DEPLOYMENT", namespace: DATA, at: at(T0), lookback: { seconds: 300 } });
      assert.deepEqual(got.map(refKey), [refKey(REFS.reports)]);
    });
    for (const kind of mesh.statKinds) {
      it(`${kind}: each resource's existence check, asking about it alone, answers as the listing`, async () => {
        assert.ok((await checkExistence(adapter(mesh.name), model, kind, at(T0), { seconds: 3600 })) > 0, "some are seen");
      });
    }
  });

  describe(`${mesh.name}: the special cases`, () => {
    it("the idle Deployment and StatefulSet have no traffic and are not seen", async () => {
      const a = adapter(mesh.name);
      for (const r of [REFS.legacyAdmin, REFS.archive]) {
        const stats = await a.resourceStats({ kind: r.kind, refs: [r], window: { seconds: 3600 }, at: at(T0) });
        assert.equal(stats.get(refKey(r)), undefined, refKey(r));
        assert.deepEqual(await a.edges({ kind: r.kind, refs: [r], window: { seconds: 3600 }, at: at(T0) }), []);
      }
    });
    it("404 is a success, 500 a failure (catalog); 201 a success, 503 a failure (cart)", async () => {
      const got = await adapter(mesh.name).resourceStats({
        kind: "DEPLOYMENT",
        refs: [REFS.catalog, REFS.cart],
        window: { seconds: 3600 },
        at: at(T0),
      });
      const catalog = expectedInbound(model, REFS.catalog, T0 - 3600, T0);
      const cart = expectedInbound(model, REFS.cart, T0 - 3600, T0);
      assert.ok(catalog.byStatus[404]! > 0 && cart.byStatus[201]! > 0);
      assert.equal(got.get(refKey(REFS.catalog))!.golden!.failure, catalog.byStatus[500]);
      assert.equal(got.get(refKey(REFS.catalog))!.golden!.success, catalog.byStatus[200]! + catalog.byStatus[404]!);
      assert.equal(got.get(refKey(REFS.cart))!.golden!.failure, cart.byStatus[503]! + (cart.byStatus[500] ?? 0));
    });
    it("cross-namespace edges both ways: data/reports -> shop/catalog and shop -> data", async () => {
      const a = adapter(mesh.name);
      const edges = await a.edges({ kind: "DEPLOYMENT", refs: [REFS.catalog], window: { seconds: 300 }, at: at(T0) });
      const fromReports = edges.find((e) => e.direction === "FROM" && refKey(e.peer) === refKey(REFS.reports));
      assert.ok(fromReports, "catalog is called from the data namespace");
      const ns = await a.edges({ kind: "NAMESPACE", refs: [REFS.data], window: { seconds: 300 }, at: at(T0) });
      const dirs = ns
        .filter((e: EdgeStats) => refKey(e.peer) === refKey(REFS.shop))
        .map((e) => e.direction)
        .sort();
      assert.deepEqual(dirs, ["FROM", "TO"]);
    });
  });
}

/** What the TCP measure must report for the model's figures. */
function tcpOf(mesh: MeshCase, e: ExpectedTcp): TcpStats {
  return {
    openConnections: mesh.openGauge ? e.open : null,
    readBytes: e.readBytes,
    writeBytes: e.writeBytes,
    opened: e.opened,
    closed: e.closed,
  };
}

for (const mesh of MESHES) {
  describe(`${mesh.name}: TCP equals the model's`, () => {
    for (const kind of mesh.statKinds) {
      for (const w of WINDOWS.slice(0, 2)) {
        it(`${kind}, ${w.seconds}s window: resources' inbound connections and edges`, async () => {
          const start = w.end - w.seconds;
          const refs = resourcesOf(model, kind).filter(mesh.expresses);
          const batch = { kind, refs, window: { seconds: w.seconds }, at: at(w.end), measures: ["tcp"] as const };
          const stats = await adapter(mesh.name).resourceStats(batch);
          let compared = 0;
          for (const r of refs) {
            const want = expectedTcp(model, inboundConnectionsOf(r), start, w.end);
            const got = stats.get(refKey(r));
            assert.equal(got?.golden, undefined, "only the measures asked for");
            if (!want) {
              assert.equal(got?.tcp, undefined, `${refKey(r)} has no connections in the model`);
              continue;
            }
            assert.deepEqual(got?.tcp, tcpOf(mesh, want), refKey(r));
            compared++;
          }
          // No DaemonSet serves traffic in the fixture; every other kind does.
          if (kind !== "DAEMONSET") assert.ok(compared > 0, "the fixture has connections to this kind");
          if (!mesh.edgeKinds.includes(kind)) return;
          const edges = await adapter(mesh.name).edges(batch);
          for (const r of refs) {
            const want = expectedTcpEdges(model, r, kind, start, w.end);
            const mine = edges.filter((e) => refKey(e.resource) === refKey(r));
            const key = (d: string, p: ResourceRef) => `${d} ${refKey(p)}`;
            assert.deepEqual(
              mine.map((e) => key(e.direction, e.peer)).sort(),
              want.map((e) => key(e.direction, e.peer)).sort(),
              `TCP edges of ${refKey(r)}`,
            );
            for (const e of want) {
              const g = mine.find((x) => x.direction === e.direction && refKey(x.peer) === refKey(e.peer))!;
              assert.deepEqual(g.stats.tcp, tcpOf(mesh, e.tcp), `${refKey(r)} ${key(e.direction, e.peer)}`);
            }
          }
        });
      }
    }

    it("a batch reads only the measures it asks for: golden costs no TCP query, TCP no golden one", async () => {
      const prom = proms.get(mesh.name)!;
      const refs = resourcesOf(model, "DEPLOYMENT");
      const ask = async (measures?: readonly MeasureName[]) => {
        prom.resetQueries();
        const batch = { kind: "DEPLOYMENT" as const, refs, window: { seconds: 300 }, at: at(T0), measures };
        await adapter(mesh.name).resourceStats(batch);
        await adapter(mesh.name).edges(batch);
        return prom.queries();
      };
      const tcpMetric = /tcp|_cx_/;
      const golden = await ask();
      const tcp = await ask(["tcp"]);
      const both = await ask(["golden", "tcp"]);
      assert.ok(golden.length > 0 && !golden.some((q) => tcpMetric.test(q)), golden.join("\n"));
      assert.ok(
        tcp.every((q) => !/_rq_|request|response/.test(q) || q.startsWith("group ")),
        tcp.join("\n"),
      );
      // TCP is one query per view however many figures it reads; the directory is shared.
      assert.equal(both.length, golden.length + 2, both.join("\n"));
    });
  });
}

describe("the meshes agree with each other", () => {
  const kinds = ["NAMESPACE", "DEPLOYMENT", "STATEFULSET"] as const;
  for (const kind of kinds) {
    it(`${kind}: equal counts; Istio and Consul equal percentiles; Linkerd within both meshes' bucket widths`, async () => {
      const refs = resourcesOf(model, kind);
      const batch = { kind, refs, window: { seconds: 3600 }, at: at(T0) };
      const [l, i, c] = await Promise.all(MESHES.map((m) => adapter(m.name).resourceStats(batch)));
      for (const r of refs) {
        const k = refKey(r);
        const [ls, is, cs] = [l!.get(k)?.golden, i!.get(k)?.golden, c!.get(k)?.golden];
        assert.deepEqual(is && { s: is.success, f: is.failure }, ls && { s: ls.success, f: ls.failure }, `${k} istio vs linkerd`);
        assert.deepEqual(cs && { s: cs.success, f: cs.failure }, ls && { s: ls.success, f: ls.failure }, `${k} consul vs linkerd`);
        if (!ls || !is || !cs) continue;
        for (const q of QUANTILES) {
          const f = quantileField(q);
          assert.ok(
            Math.abs(is.latency[f]! - cs.latency[f]!) <= 1e-9 * is.latency[f]!,
            `${k} ${f}: istio ${is.latency[f]} consul ${cs.latency[f]}`,
          );
          const truth = trueQuantile(model, inboundOf(r), T0 - 3600, T0, q)!;
          const bound =
            percentileBound(LINKERD_LATENCY_BOUNDS_MS, ls.latency[f]!, truth) +
            percentileBound(ISTIO_LATENCY_BOUNDS_MS, is.latency[f]!, truth);
          assert.ok(
            Math.abs(ls.latency[f]! - is.latency[f]!) <= bound,
            `${k} ${f}: linkerd ${ls.latency[f]} istio ${is.latency[f]} bound ${bound}`,
          );
        }
      }
    });
  }
});

describe("without a resolver: kinds from pod names alone", () => {
  for (const [name, make] of [
    ["istio", (q: PrometheusClient) => new IstioAdapter(q)],
    ["consul", (q: PrometheusClient) => new ConsulAdapter(q)],
  ] as const) {
    it(
      `${name}: Deployments, StatefulSets and Deployment ReplicaSets as with a cluster; Jobs and standalone ReplicaSets read as ` +
        "DaemonSets",
      async () => {
        const a = make(new PrometheusClient({ baseUrl: proms.get(name)!.url }));
        const seen = async (kind: ResourceKind) =>
          (await a.seenResources({ kind, namespace: null, at: at(T0), lookback: { seconds: 300 } })).map(refKey).sort();
        for (const kind of ["DEPLOYMENT", "STATEFULSET"] as const)
          assert.deepEqual(await seen(kind), expectedSeen(model, kind).map(refKey).sort());
        assert.deepEqual(
          await seen("REPLICASET"),
          expectedSeen(model, "REPLICASET")
            .filter((r) => !isStandaloneReplicaSet(model, r))
            .map(refKey)
            .sort(),
        );
        assert.deepEqual(await seen("DAEMONSET"), [
          `DAEMONSET/${DATA}/nightly-export`,
          `DAEMONSET/${SHOP}/canary`,
          `DAEMONSET/${SHOP}/node-agent`,
        ]);
        assert.deepEqual(await seen("JOB"), []);
        // A Deployment and a StatefulSet stay apart, with the rest, when each existence check asks about one name.
        for (const kind of ALL) await checkExistence(a, model, kind, at(T0), { seconds: 3600 });
        const refs = resourcesOf(model, "DEPLOYMENT");
        const stats = await a.resourceStats({ kind: "DEPLOYMENT", refs, window: { seconds: 300 }, at: at(T0) });
        for (const r of refs) {
          const e = expectedInbound(model, r, T0 - 300, T0);
          assert.equal((stats.get(refKey(r))?.golden?.success ?? 0) + (stats.get(refKey(r))?.golden?.failure ?? 0), e.total, refKey(r));
        }
      },
    );
  }
});

// The workload graph's raw material: pairs of workloads of any kind, and what
// callers the mesh cannot name sent (shop/loadgen is unmeshed).
const pairKey = (p: { from: ResourceRef | null; to: ResourceRef }) => `${p.from ? refKey(p.from) : "?"} > ${refKey(p.to)}`;
const pairFlows =
  (p: ExpectedPair): FlowFilter =>
  (f) => {
    if (refKey(workloadRef(f.dst.workload)) !== refKey(p.to)) return false;
    // Unknown callers are seen by the server's sidecar only.
    if (p.from === null) return !f.src.workload.meshed && f.dst.workload.meshed;
    return f.src.workload.meshed && refKey(workloadRef(f.src.workload)) === refKey(p.from);
  };

for (const mesh of MESHES) {
  describe(`${mesh.name}: workload traffic equals the model's`, () => {
    for (const namespaces of [[SHOP], [DATA], [DATA, SHOP]]) {
      for (const w of WINDOWS) {
        it(`${namespaces.join("+")}, ${w.seconds}s window at T0-${T0 - w.end}s`, async () => {
          const start = w.end - w.seconds;
          const got = await adapter(mesh.name).traffic({ namespaces, window: { seconds: w.seconds }, at: at(w.end) });
          const want = expectedTraffic(model, namespaces, start, w.end);
          assert.deepEqual(got.map(pairKey).sort(), want.map(pairKey).sort());
          for (const e of want) {
            const g = got.find((p) => pairKey(p) === pairKey(e))!;
            const golden = g.stats.golden!;
            assert.deepEqual(
              { success: golden.success, failure: golden.failure },
              { success: e.counts.success, failure: e.counts.failure },
              pairKey(e),
            );
            assert.equal(g.mtls, e.from === null ? null : mesh.mtls(e.mtls!), `${pairKey(e)} mtls`);
            checkPercentiles(mesh, golden, pairFlows(e), start, w.end, pairKey(e));
          }
        });
      }
    }
    it("cross-kind pairs and the unknown caller are there", async () => {
      const got = (await adapter(mesh.name).traffic({ namespaces: [SHOP], window: { seconds: 300 }, at: at(T0) })).map(pairKey);
      for (const k of [
        `${refKey(REFS.cart)} > STATEFULSET/${DATA}/db`,
        `DAEMONSET/${SHOP}/node-agent > ${refKey(REFS.catalog)}`,
        `? > ${refKey(REFS.frontend)}`,
      ]) {
        assert.ok(got.includes(k), `${k} in ${got.join(", ")}`);
      }
    });
  });
}
