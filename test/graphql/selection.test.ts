// Documents cost only what they select, counted in the real Prometheus' query
// log: no bucket (latency) query without a latency field, no reverse half of
// the edge query with a `direction`, and a single resource's existence check
// over its own series only. The answers stay those of the full documents.

import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import type { Gateway } from "../../src/server/gateway.ts";
import { linkerd } from "../../src/demo/traffic/linkerd.ts";
import { buildModel } from "../../src/demo/traffic/model.ts";
import { SCALE_HISTORY, SCALE_NAMESPACE, scaleTopology, T0 } from "../fixtures/topology.ts";
import {
  NamespaceCountsDocument,
  NamespaceOverviewDocument,
  ResourceEdgesDocument,
  ResourceMetricsDocument,
  WorkloadGraphCountsDocument,
  WorkloadGraphDocument,
} from "../generated/graphql.ts";
import { startPrometheus, type PrometheusInstance } from "../harness/prometheus.ts";
import { data, testGateway } from "../support/gateway.ts";

const BUCKETS = "response_latency_ms_bucket";
const at = new Date(T0 * 1000).toISOString();
let prometheus: PrometheusInstance;
let gateway: Gateway;

before(async () => {
  prometheus = await startPrometheus({ model: buildModel(scaleTopology(4)), formats: [linkerd], ...SCALE_HISTORY });
  gateway = await testGateway(prometheus.url, "linkerd");
});

after(async () => {
  await gateway?.close();
  await prometheus?.stop();
});

/** The document's answer and the PromQL it cost. */
async function run<T>(ask: () => Promise<T>): Promise<{ answer: T; queries: string[] }> {
  prometheus.resetQueries();
  const answer = await ask();
  return { answer, queries: prometheus.queries() };
}

const counts = (
  m: { successCount: number; failureCount: number; requestCount: number; successRate?: number | null } | null | undefined,
) => ({
  successCount: m?.successCount,
  failureCount: m?.failureCount,
  requestCount: m?.requestCount,
  successRate: m?.successRate,
});

describe("selection-driven queries", () => {
  it("sends no bucket query for a namespace document without latency, with the same counts", async () => {
    const full = await run(() => data(gateway, NamespaceOverviewDocument, { namespace: SCALE_NAMESPACE, window: "1m", at }));
    const lean = await run(() => data(gateway, NamespaceCountsDocument, { namespace: SCALE_NAMESPACE, window: "1m", at }));
    const buckets = full.queries.filter((q) => q.includes(BUCKETS));
    assert.equal(buckets.length, 2, `the full document reads buckets for metrics and for edges:\n${full.queries.join("\n")}`);
    assert.deepEqual(
      lean.queries.filter((q) => q.includes(BUCKETS)),
      [],
      "no bucket query without a latency field",
    );
    assert.equal(
      lean.queries.length,
      full.queries.length - buckets.length,
      `only the bucket queries are skipped:\n${lean.queries.join("\n")}`,
    );
    assert.ok(
      full.answer.resources.some((r) => r.metrics?.latency.p99 != null),
      "the full document has latency to lose",
    );

    assert.equal(lean.answer.resources.length, full.answer.resources.length);
    full.answer.resources.forEach((r, i) => {
      const l = lean.answer.resources[i]!;
      assert.equal(l.name, r.name);
      assert.deepEqual(counts(l.metrics), counts(r.metrics), r.name);
      assert.deepEqual(
        l.edges?.map((e) => [e.direction, e.peer.name, counts(e.metrics), e.peer.metrics?.requestCount]),
        r.edges?.map((e) => [e.direction, e.peer.name, counts(e.metrics), e.peer.metrics?.requestCount]),
        `${r.name}'s edges`,
      );
    });
  });

  it("sends one half of the edge query for a direction, and answers that direction's edges as before", async () => {
    const name = "svc-001";
    const ask = (direction: "TO" | "FROM" | null) => () =>
      data(gateway, ResourceEdgesDocument, { kind: "DEPLOYMENT", namespace: SCALE_NAMESPACE, name, window: "1m", at, direction });
    const both = await run(ask(null));
    const edgeQueries = (qs: string[]) => qs.filter((q) => q.includes('direction="outbound"'));
    assert.equal(edgeQueries(both.queries).length, 2, "counts and buckets");
    for (const q of edgeQueries(both.queries)) assert.match(q, / or /, "both halves without a direction");
    for (const direction of ["TO", "FROM"] as const) {
      const one = await run(ask(direction));
      assert.equal(edgeQueries(one.queries).length, 2);
      for (const q of edgeQueries(one.queries)) assert.doesNotMatch(q, / or /, `${direction}: one half only:\n${q}`);
      // TO edges are read from the resource's own (source) labels, FROM edges from the destination's.
      for (const q of edgeQueries(one.queries))
        assert.match(q, direction === "TO" ? /[{,]deployment="svc-001"/ : /dst_deployment="svc-001"/);
      const want = both.answer.resource!.edges!.filter((e) => e.direction === direction);
      assert.equal(want.length, 1, `one ${direction} edge in the ring`);
      assert.deepEqual(one.answer.resource!.edges, want, direction);
    }
  });

  it("sends no bucket query for a graph without latency, with the same counts", async () => {
    const full = await run(() => data(gateway, WorkloadGraphDocument, { namespaces: [SCALE_NAMESPACE], window: "1m", at }));
    const lean = await run(() => data(gateway, WorkloadGraphCountsDocument, { namespaces: [SCALE_NAMESPACE], window: "1m", at }));
    assert.ok(full.queries.filter((q) => q.includes(BUCKETS)).length >= 2, `the full graph reads buckets:\n${full.queries.join("\n")}`);
    assert.deepEqual(
      lean.queries.filter((q) => q.includes(BUCKETS)),
      [],
    );
    assert.ok(
      full.answer.graph.edges.some((e) => e.metrics?.latency.p50 != null),
      "the full graph has latency to lose",
    );
    const edge = (e: { source: { id: string }; destination: { id: string }; metrics: Parameters<typeof counts>[0] }) => [
      e.source.id,
      e.destination.id,
      counts(e.metrics),
    ];
    assert.deepEqual(lean.answer.graph.edges.map(edge), full.answer.graph.edges.map(edge));
    assert.deepEqual(
      lean.answer.graph.nodes.map((n) => [n.id, counts(n.metrics)]),
      full.answer.graph.nodes.map((n) => [n.id, counts(n.metrics)]),
    );
  });

  it("checks one resource's existence over its own series, not the namespace's; unknown ones stay NotFound", async () => {
    const smi = (path: string) =>
      gateway.app.inject({ method: "GET", url: `/apis/metrics.smi-spec.io/v1alpha1/namespaces/${SCALE_NAMESPACE}/deployments/${path}` });
    const known = await run(() => smi("svc-001/edges"));
    assert.equal(known.answer.statusCode, 200);
    assert.equal((known.answer.json() as { items: unknown[] }).items.length, 2);
    const listing = known.queries.filter((q) => q.includes("present_over_time"));
    assert.deepEqual(listing, [
      `group by (namespace, deployment) (present_over_time(response_total{deployment!="",namespace="scale",deployment="svc-001"}[3600s]))`,
    ]);

    const unknown = await run(() => smi("svc-404"));
    assert.equal(unknown.answer.statusCode, 404);
    assert.equal((unknown.answer.json() as { reason: string }).reason, "NotFound");
    assert.equal(unknown.queries.length, 1, "nothing but the existence check");
    // Without a cluster, an unknown resource's edges are an empty list, as the reference answers.
    const edges = await smi("svc-404/edges");
    assert.equal(edges.statusCode, 200);
    assert.deepEqual((edges.json() as { items: unknown[] }).items, []);

    const graphql = await data(gateway, ResourceMetricsDocument, {
      kind: "DEPLOYMENT",
      namespace: SCALE_NAMESPACE,
      name: "svc-404",
      window: "1m",
      at,
    });
    assert.equal(graphql.resource, null);
    const ns = await data(gateway, ResourceMetricsDocument, { kind: "NAMESPACE", name: SCALE_NAMESPACE, window: "1m", at });
    assert.equal(ns.resource?.name, SCALE_NAMESPACE);
  });
});
