// The Linkerd writer against a real Prometheus 2.42: what PromQL reads back
// from the backfilled history equals what the model says, exactly.
//
// Why exact: samples sit every STEP seconds on window edges, Prometheus 2.42
// range selectors include both edges, so increase() sees the first and last
// sample at the window's ends and extrapolates by a factor of exactly 1.

import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import type { ResourceRef } from "../../src/domain/resource.ts";
import { PrometheusClient } from "../../src/prometheus/client.ts";
import { expectedEdgeCounts, expectedInbound, expectedInboundBuckets, type ExpectedCounts } from "../fixtures/expected.ts";
import { histogramQuantile } from "../../src/domain/histogram.ts";
import { LINKERD_LATENCY_BOUNDS_MS, linkerd } from "../../src/demo/traffic/linkerd.ts";
import { workloadOf } from "../../src/demo/traffic/model.ts";
import { startPrometheus, type PrometheusInstance } from "../harness/prometheus.ts";
import { DATA, HISTORY, REFS, SHOP, T0, ref, topologyModel } from "../fixtures/topology.ts";

const model = topologyModel();
let prom: PrometheusInstance;
let client: PrometheusClient;

before(async () => {
  const started = performance.now();
  prom = await startPrometheus({ model, formats: [linkerd], ...HISTORY });
  const b = prom.backfill!;
  console.log(
    `# prometheus ready in ${((performance.now() - started) / 1000).toFixed(1)}s (${b.cached ? "cached TSDB" : "fresh backfill"}: ` +
      `${(b.stats.openMetricsBytes / 1e6).toFixed(0)} MB OpenMetrics, ${b.stats.samples ?? "?"} samples, ` +
      `write ${b.stats.writeSeconds}s, promtool ${b.stats.promtoolSeconds}s, TSDB ${(b.stats.tsdbBytes / 1e6).toFixed(1)} MB)`,
  );
  client = new PrometheusClient({ baseUrl: prom.url });
});

after(async () => {
  await prom?.stop();
});

const at = (t: number) => new Date(t * 1000);

/** {success, failure} from a `sum by (classification)` query. */
async function byClassification(promql: string, t: number): Promise<{ success: number; failure: number }> {
  const out = { success: 0, failure: 0 };
  for (const s of await client.query(promql, at(t))) {
    const c = s.labels.classification;
    if (c === "success" || c === "failure") out[c] = s.value;
  }
  return out;
}

const counts = (e: ExpectedCounts) => ({ success: e.success, failure: e.failure });

/** The label selector a Linkerd query uses for a resource on the server side. */
function inboundSelector(r: ResourceRef): string {
  const label = {
    DEPLOYMENT: "deployment",
    DAEMONSET: "daemonset",
    STATEFULSET: "statefulset",
    REPLICASET: "replicaset",
    JOB: "k8s_job",
    POD: "pod",
  } as const;
  if (r.kind === "NAMESPACE") return `namespace="${r.name}"`;
  return `namespace="${r.namespace}",${label[r.kind]}="${r.name}"`;
}

describe("inbound counts equal the model's", () => {
  const cases: Array<[string, ResourceRef]> = [
    ["deployment", REFS.catalog],
    ["deployment with an unmeshed client", REFS.frontend],
    ["statefulset", REFS.db],
    ["standalone replicaset", REFS.canary],
    ["job (k8s_job)", REFS.nightlyExport],
    ["namespace", REFS.shop],
    ["namespace", REFS.data],
  ];
  for (const [what, r] of cases) {
    for (const [window, t] of [
      [30, T0],
      [3600, T0],
      [3600, T0 - 600],
    ] as const) {
      it(`${what} ${r.name}, ${window}s window at T0-${T0 - t}s`, async () => {
        const got = await byClassification(
          `sum by (classification) (increase(response_total{direction="inbound",${inboundSelector(r)}}[${window}s]))`,
          t,
        );
        const want = counts(expectedInbound(model, r, t - window, t));
        assert.ok(want.success > 0, "the fixture should have traffic here");
        assert.deepEqual(got, want);
      });
    }
  }

  it("pod", async () => {
    const pod = workloadOf(model, { namespace: DATA, name: "db" }).pods[1]!;
    const got = await byClassification(
      `sum by (classification) (increase(response_total{direction="inbound",namespace="data",pod="${pod.name}"}[5m]))`,
      T0,
    );
    assert.deepEqual(got, counts(expectedInbound(model, ref("POD", DATA, pod.name), T0 - 300, T0)));
  });

  it("a Deployment's ReplicaSet, through pod_template_hash", async () => {
    const w = workloadOf(model, { namespace: SHOP, name: "catalog" });
    const got = await byClassification(
      "sum by (classification) " +
        `(increase(response_total{direction="inbound",namespace="shop",deployment="catalog",` +
        `pod_template_hash="${w.podTemplateHash}"}[1m]))`,
      T0,
    );
    assert.deepEqual(got, counts(expectedInbound(model, ref("REPLICASET", SHOP, w.replicaSet!), T0 - 60, T0)));
  });

  it("404s are successes and 5xx failures in the written classification", async () => {
    const rows = await client.query(
      `sum by (status_code, classification) (increase(response_total{direction="inbound",namespace="shop",deployment="catalog"}[1h]))`,
      at(T0),
    );
    const byCode = Object.fromEntries(rows.map((s) => [s.labels.status_code, s.labels.classification]));
    assert.deepEqual(byCode, { "200": "success", "404": "success", "500": "failure" });
    const e = expectedInbound(model, REFS.catalog, T0 - 3600, T0);
    for (const s of rows) assert.equal(s.value, e.byStatus[Number(s.labels.status_code)]);
  });

  it("the idle Deployment has no traffic series but a running proxy", async () => {
    assert.deepEqual(await client.query(`response_total{namespace="shop",deployment="legacy-admin"}`, at(T0)), []);
    assert.equal((await client.query(`process_start_time_seconds{namespace="shop",deployment="legacy-admin"}`, at(T0))).length, 1);
  });
});

describe("edges equal the model's", () => {
  it("cross-namespace both ways: data -> shop and shop -> data", async () => {
    const toShop = await byClassification(
      "sum by (classification) " +
        `(increase(response_total{direction="outbound",namespace="data",deployment="reports",` +
        `dst_namespace="shop",dst_deployment="catalog"}[1h]))`,
      T0 - 600,
    );
    assert.deepEqual(toShop, counts(expectedEdgeCounts(model, REFS.reports, REFS.catalog, T0 - 4200, T0 - 600)));
    const toData = await byClassification(
      `sum by (classification) (increase(response_total{direction="outbound",namespace="shop",dst_namespace="data"}[5m]))`,
      T0,
    );
    assert.deepEqual(toData, counts(expectedEdgeCounts(model, REFS.shop, REFS.data, T0 - 300, T0)));
  });

  it("a Job destination is dst_k8s_job", async () => {
    const got = await byClassification(
      "sum by (classification) " +
        `(increase(response_total{direction="outbound",namespace="data",dst_namespace="data",dst_k8s_job="nightly-export"}[10m]))`,
      T0,
    );
    assert.deepEqual(got, counts(expectedEdgeCounts(model, REFS.reports, REFS.nightlyExport, T0 - 600, T0)));
  });

  it("the plaintext DaemonSet edge is tls=no_identity on both sides, without identities", async () => {
    const out = await client.query(
      `sum by (tls, server_id) (increase(response_total{direction="outbound",daemonset="node-agent"}[1m]))`,
      at(T0),
    );
    assert.deepEqual(
      out.map((s) => s.labels),
      [{ tls: "no_identity" }],
    );
    assert.equal(out[0]!.value, expectedEdgeCounts(model, REFS.nodeAgent, REFS.catalog, T0 - 60, T0).total);
    const inbound = await client.query(`count by (tls, client_id) (response_total{direction="inbound",deployment="catalog"})`, at(T0));
    const seen = inbound.map((s) => `${s.labels.tls}/${s.labels.client_id ?? "-"}`).sort();
    assert.deepEqual(
      [...new Set(seen)],
      [
        "no_identity/-",
        "true/frontend.shop.serviceaccount.identity.linkerd.cluster.local",
        "true/reports.data.serviceaccount.identity.linkerd.cluster.local",
      ],
    );
  });
});

describe("latency histograms equal the model's", () => {
  it("bucket increases, bucket by bucket", async () => {
    const rows = await client.query(
      `sum by (le) (increase(response_latency_ms_bucket{direction="inbound",namespace="shop",deployment="cart"}[5m]))`,
      at(T0),
    );
    const got = new Map(rows.map((s) => [Number(s.labels.le === "+Inf" ? Infinity : s.labels.le), s.value]));
    const want = expectedInboundBuckets(model, REFS.cart, T0 - 300, T0, LINKERD_LATENCY_BOUNDS_MS);
    assert.equal(got.size, want.length);
    for (const b of want) assert.equal(got.get(b.le), b.count, `le=${b.le}`);
  });

  it("histogram_quantile over the window", async () => {
    const want = expectedInboundBuckets(model, REFS.db, T0 - 3600, T0, LINKERD_LATENCY_BOUNDS_MS);
    for (const q of [0.5, 0.9, 0.99]) {
      const [row] = await client.query(
        `histogram_quantile(${q}, sum by (le) ` +
          `(rate(response_latency_ms_bucket{direction="inbound",namespace="data",statefulset="db"}[1h])))`,
        at(T0),
      );
      const expected = histogramQuantile(q, want);
      assert.ok(Math.abs(row!.value - expected) < 1e-9 * expected, `p${q * 100}: ${row!.value} vs ${expected}`);
    }
  });
});

describe("query log", () => {
  it("records exactly the PromQL that reached Prometheus since the last reset", async () => {
    prom.resetQueries();
    assert.deepEqual(prom.queries(), []);
    await client.query("vector(1)", at(T0));
    await client.query(`count(response_total)`, at(T0));
    assert.deepEqual(prom.queries(), ["vector(1)", "count(response_total)"]);
    prom.resetQueries();
    assert.deepEqual(prom.queries(), []);
  });
});
