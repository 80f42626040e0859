// GraphQL over a real Prometheus loaded with the fixture topology as Linkerd
// metrics. Every expected number comes from the traffic model; percentiles are
// Prometheus' histogram_quantile over the model's own bucket counts.

import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { RESOURCE_KINDS, type ResourceKind } from "../../src/domain/kinds.ts";
import type { ResourceRef } from "../../src/domain/resource.ts";
import type { Gateway } from "../../src/server/gateway.ts";
import { expectedEdges, expectedInbound, expectedInboundBuckets, expectedOutbound } from "../fixtures/expected.ts";
import { histogramQuantile } from "../../src/domain/histogram.ts";
import { LINKERD_LATENCY_BOUNDS_MS, linkerd } from "../../src/demo/traffic/linkerd.ts";
import { resourcesOf } from "../../src/demo/traffic/model.ts";
import { DATA, HISTORY, REFS, SHOP, T0, T0_DATE, topologyModel } from "../fixtures/topology.ts";
import { ResourceEdgesDocument, ResourceListDocument, ResourceMetricsDocument } from "../generated/graphql.ts";
import { startPrometheus, type PrometheusInstance } from "../harness/prometheus.ts";
import { close, data, execute, testGateway } from "../support/gateway.ts";

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

const nsOf = (ref: ResourceRef): string | null => ref.namespace;
const label = (ref: ResourceRef): string => `${ref.kind} ${ref.namespace ?? ""}/${ref.name}`;

/** Resources the backend has seen: meshed pods with traffic either way in the last hour. */
function seenInModel(kind: ResourceKind, namespace: string | null): ResourceRef[] {
  return resourcesOf(model, kind, namespace).filter(
    (r) => expectedInbound(model, r, T0 - 3600, T0).total > 0 || expectedOutbound(model, r, T0 - 3600, T0).total > 0,
  );
}

function expectedPercentiles(ref: ResourceRef, start: number, end: number) {
  const buckets = expectedInboundBuckets(model, ref, start, end, LINKERD_LATENCY_BOUNDS_MS);
  return {
    p50: histogramQuantile(0.5, buckets),
    p90: histogramQuantile(0.9, buckets),
    p95: histogramQuantile(0.95, buckets),
    p99: histogramQuantile(0.99, buckets),
  };
}

describe("linkerd over GraphQL, against a real Prometheus", () => {
  for (const kind of RESOURCE_KINDS) {
    it(`lists every ${kind} with traffic, and its metrics equal the model's, for 30s, 1m and 1h`, async () => {
      const namespace = kind === "NAMESPACE" ? null : undefined;
      const expected = seenInModel(kind, null);
      assert.ok(expected.length > 0, `the fixture has ${kind} resources`);
      for (const window of ["30s", "1m", "1h"]) {
        const seconds = { "30s": 30, "1m": 60, "1h": 3600 }[window]!;
        const got = await data(gateway, ResourceListDocument, { kind, namespace, window });
        assert.deepEqual(
          got.resources.map((r) => `${r.namespace ?? ""}/${r.name}`).sort(),
          expected.map((r) => `${nsOf(r) ?? ""}/${r.name}`).sort(),
        );
        for (const r of got.resources) {
          const ref: ResourceRef = { kind, namespace: r.namespace ?? null, name: r.name };
          const want = expectedInbound(model, ref, T0 - seconds, T0);
          const m = r.metrics!;
          assert.equal(m.successCount, want.success, `${label(ref)} success over ${window}`);
          assert.equal(m.failureCount, want.failure, `${label(ref)} failure over ${window}`);
          assert.equal(m.requestCount, want.total);
          assert.ok(close(m.requestsPerSecond, want.total / seconds));
          assert.equal(m.timestamp, T0_DATE.toISOString());
          assert.equal(m.window, window);
          if (want.total === 0) {
            assert.equal(m.successRate, null, `${label(ref)} has no inbound traffic: no success rate`);
            assert.deepEqual({ ...m.latency }, { p50: null, p90: null, p95: null, p99: null });
          } else {
            assert.ok(close(m.successRate, want.success / want.total));
            const p = expectedPercentiles(ref, T0 - seconds, T0);
            for (const q of ["p50", "p90", "p95", "p99"] as const) {
              assert.ok(close(m.latency[q], p[q], 1e-6), `${label(ref)} ${q} over ${window}: ${m.latency[q]} vs ${p[q]}`);
            }
          }
        }
      }
    });
  }

  it("computes percentiles exactly as Prometheus' own histogram_quantile does", async () => {
    const got = await data(gateway, ResourceMetricsDocument, { kind: "DEPLOYMENT", namespace: SHOP, name: "catalog", window: "5m" });
    for (const [field, q] of [
      ["p50", 0.5],
      ["p90", 0.9],
      ["p95", 0.95],
      ["p99", 0.99],
    ] as const) {
      // Written by hand, independent of the adapter's PromQL.
      const promql =
        `histogram_quantile(${q}, sum by (le) ` +
        `(rate(response_latency_ms_bucket{direction="inbound",namespace="shop",deployment="catalog"}[5m])))`;
      const body = new URLSearchParams({ query: promql, time: String(T0) });
      const answer = (await (await fetch(`${prometheus.url}/api/v1/query`, { method: "POST", body })).json()) as {
        data: { result: Array<{ value: [number, string] }> };
      };
      const prom = Number(answer.data.result[0]!.value[1]);
      assert.ok(
        close(got.resource!.metrics!.latency[field], prom, 1e-9),
        `${field}: meshql ${got.resource!.metrics!.latency[field]}, Prometheus ${prom}`,
      );
    }
  });

  it("answers at a moment in the past", async () => {
    const at = new Date((T0 - 600) * 1000).toISOString();
    const got = await data(gateway, ResourceMetricsDocument, { kind: "DEPLOYMENT", namespace: SHOP, name: "catalog", window: "5m", at });
    const want = expectedInbound(model, REFS.catalog, T0 - 900, T0 - 600);
    assert.equal(got.resource?.metrics?.timestamp, at.replace(".000", ".000"));
    assert.equal(got.resource?.metrics?.successCount, want.success);
    assert.equal(got.resource?.metrics?.failureCount, want.failure);
  });

  it("answers with cache-control: no-store (the schema has no cache hints), errors too", async () => {
    for (const query of ["{ __typename }", "{ nope }"]) {
      const reply = await gateway.app.inject({ method: "POST", url: "/graphql", payload: { query } });
      assert.equal(reply.headers["cache-control"], "no-store", query);
    }
  });

  it("counts 4xx as success and 5xx as failure", async () => {
    const got = await data(gateway, ResourceMetricsDocument, { kind: "DEPLOYMENT", namespace: SHOP, name: "catalog", window: "1h" });
    const want = expectedInbound(model, REFS.catalog, T0 - 3600, T0);
    assert.ok((want.byStatus[404] ?? 0) > 0 && (want.byStatus[500] ?? 0) > 0, "the fixture sends catalog 404s and 500s");
    assert.equal(got.resource?.metrics?.successCount, (want.byStatus[200] ?? 0) + (want.byStatus[404] ?? 0));
    assert.equal(got.resource?.metrics?.failureCount, want.byStatus[500]);
  });

  it("gives edges in both directions, across namespaces, equal to the model's", async () => {
    const cases: ResourceRef[] = [
      REFS.catalog,
      REFS.cart,
      REFS.frontend,
      REFS.db,
      REFS.reports,
      REFS.nodeAgent,
      REFS.canary,
      REFS.nightlyExport,
      REFS.shop,
      REFS.data,
    ];
    for (const ref of cases) {
      const got = await data(gateway, ResourceEdgesDocument, { kind: ref.kind, namespace: ref.namespace, name: ref.name, window: "1m" });
      const edges = got.resource?.edges ?? [];
      const want = expectedEdges(model, ref, ref.kind, T0 - 60, T0);
      assert.deepEqual(
        edges
          .map(
            (e) =>
              `${e.direction} ${e.peer.kind} ${e.peer.namespace ?? ""}/${e.peer.name} ` +
              `${e.metrics?.successCount}/${e.metrics?.failureCount} mtls=${e.mtls}`,
          )
          .sort(),
        want
          .map(
            (e) =>
              `${e.direction} ${e.peer.kind} ${e.peer.namespace ?? ""}/${e.peer.name} ${e.counts.success}/${e.counts.failure} ` +
              `mtls=${e.mtls}`,
          )
          .sort(),
        `edges of ${label(ref)}`,
      );
      for (const e of edges) assert.deepEqual(e.resource, { kind: ref.kind, namespace: ref.namespace, name: ref.name });
    }
    const catalog = await data(gateway, ResourceEdgesDocument, {
      kind: "DEPLOYMENT",
      namespace: SHOP,
      name: "catalog",
      window: "1m",
      direction: "FROM",
    });
    assert.ok(
      catalog.resource!.edges!.some((e) => e.peer.namespace === DATA && e.peer.name === "reports"),
      "data/reports calls shop/catalog: a cross-namespace edge",
    );
    assert.ok(catalog.resource!.edges!.length > 1 && catalog.resource!.edges!.every((e) => e.direction === "FROM"));
  });

  it("has no metrics for an idle resource, and no resource the backend never saw", async () => {
    // vote-bot style: frontend-facing loadgen is unmeshed, legacy-admin is idle. Without a cluster,
    // an idle resource cannot be known: it is null, not a resource with made-up zeros.
    const idle = await data(gateway, ResourceMetricsDocument, { kind: "DEPLOYMENT", namespace: SHOP, name: "legacy-admin" });
    assert.equal(idle.resource, null);
    // reports only calls others: it is seen, and its inbound metrics are empty, not NaN.
    const caller = await data(gateway, ResourceMetricsDocument, { kind: "DEPLOYMENT", namespace: DATA, name: "reports" });
    assert.equal(caller.resource?.metrics?.requestCount, 0);
    assert.equal(caller.resource?.metrics?.successRate, null);
    assert.equal(caller.resource?.metrics?.latency.p99, null);
  });

  it("refuses a document that would cost more backend batches than the limit, and serves one within it", async () => {
    const fields = (n: number) =>
      Array.from({ length: n }, (_, i) => `w${i}: metrics(window: "${60 + i * 10}s") { requestCount }`).join("\n");
    const query = (n: number) => `{ resource(kind: DEPLOYMENT, namespace: "shop", name: "catalog") { ${fields(n)} } }`;
    prometheus.resetQueries();
    const over = (await gateway.app.inject({ method: "POST", url: "/graphql", payload: { query: query(100) } })).json() as {
      errors: Array<{ extensions: { code: string; argument: string } }>;
    };
    assert.ok(over.errors.length > 0);
    assert.ok(over.errors.every((e) => e.extensions.code === "BAD_USER_INPUT" && e.extensions.argument === "document"));
    assert.equal(prometheus.queries().filter((q) => q.includes("increase(")).length, 0, "nothing was sent for a refused document");
    const within = (await gateway.app.inject({ method: "POST", url: "/graphql", payload: { query: query(20) } })).json() as {
      data: { resource: Record<string, { requestCount: number }> };
      errors?: unknown;
    };
    assert.equal(within.errors, undefined);
    assert.equal(within.data.resource.w0!.requestCount, expectedInbound(model, REFS.catalog, T0 - 60, T0).total);
  });

  it("rejects bad input with BAD_USER_INPUT before anything reaches Prometheus", async () => {
    prometheus.resetQueries();
    const bad: Array<[string, Parameters<typeof execute<unknown, Record<string, unknown>>>[2], string]> = [
      ["quote in a name", { kind: "DEPLOYMENT", namespace: SHOP, name: 'web"}' }, "name"],
      ["upper case", { kind: "DEPLOYMENT", namespace: SHOP, name: "Web" }, "name"],
      ["300 characters", { kind: "DEPLOYMENT", namespace: SHOP, name: "a".repeat(300) }, "name"],
      ["window abc", { kind: "DEPLOYMENT", namespace: SHOP, name: "catalog", window: "abc" }, "window"],
      ["window 0s", { kind: "DEPLOYMENT", namespace: SHOP, name: "catalog", window: "0s" }, "window"],
      ["window -1m", { kind: "DEPLOYMENT", namespace: SHOP, name: "catalog", window: "-1m" }, "window"],
      ["window 400d", { kind: "DEPLOYMENT", namespace: SHOP, name: "catalog", window: "400d" }, "window"],
      ["window shorter than two scrapes", { kind: "DEPLOYMENT", namespace: SHOP, name: "catalog", window: "10s" }, "window"],
      ["at in the future", { kind: "DEPLOYMENT", namespace: SHOP, name: "catalog", at: new Date((T0 + 3600) * 1000).toISOString() }, "at"],
    ];
    for (const [what, variables, argument] of bad) {
      const result = await execute(gateway, ResourceMetricsDocument, variables as never);
      assert.equal(result.errors.length, 1, what);
      assert.equal(result.errors[0]!.extensions?.code, "BAD_USER_INPUT", what);
      assert.equal(result.errors[0]!.extensions?.argument, argument, what);
      assert.match(result.errors[0]!.message, new RegExp(argument), what);
    }
    const metricQueries = prometheus.queries().filter((q) => !q.startsWith("group by"));
    assert.deepEqual(metricQueries, [], "no metrics query reached Prometheus for bad input");
  });
});
