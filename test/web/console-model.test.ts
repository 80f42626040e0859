// The console's pure parts: numbers for people, Kiali's health thresholds,
// the graph assembled from per-resource answers, and its GraphQL documents.

import assert from "node:assert/strict";
import { readdirSync, readFileSync } from "node:fs";
import { describe, it } from "node:test";
import { buildSchema, parse, validate } from "graphql";
import { formatLatency, formatNumber, formatPercent, formatRps } from "../../web/src/format.ts";
import { buildGraph, type Metrics, type ResourceAnswer } from "../../web/src/graph.ts";
import { healthOf } from "../../web/src/health.ts";
import { NAMESPACE_GRAPH_QUERY, NAMESPACES_QUERY } from "../../web/src/queries.ts";

describe("console numbers", () => {
  it("shows null as a dash and zero as zero", () => {
    for (const f of [formatNumber, formatPercent, formatLatency, formatRps]) assert.equal(f(null), "–");
    assert.equal(formatNumber(0), "0");
    assert.equal(formatRps(0), "0 rps");
    assert.equal(formatPercent(0), "0%");
  });

  it("rounds to three significant digits without exponents", () => {
    assert.equal(formatNumber(2.34567), "2.35");
    assert.equal(formatNumber(0.000123456), "0.000123");
    assert.equal(formatNumber(1234), "1.23k");
    assert.equal(formatNumber(999_600), "1.00M");
    assert.equal(formatPercent(0.93127), "93.1%");
    assert.equal(formatPercent(1), "100%");
  });

  it("gives latency in ms under a second, then in s", () => {
    assert.equal(formatLatency(18.46), "18.5 ms");
    assert.equal(formatLatency(999.4), "999 ms");
    assert.equal(formatLatency(999.6), "1.00 s");
    assert.equal(formatLatency(1850), "1.85 s");
  });
});

describe("health colours", () => {
  it("uses Kiali's defaults: any failure is degraded, 10% is failure, no traffic is idle", () => {
    assert.equal(healthOf(1), "healthy");
    assert.equal(healthOf(0.999), "degraded");
    assert.equal(healthOf(0.9000001), "degraded");
    assert.equal(healthOf(0.9), "failure");
    assert.equal(healthOf(null), "idle");
  });
});

const metrics = (requestCount: number, successCount: number, seconds = 60): Metrics => ({
  timestamp: "2026-11-01T12:00:00.000Z",
  window: "1m",
  requestCount,
  successCount,
  failureCount: requestCount - successCount,
  requestsPerSecond: requestCount / seconds,
  successRate: requestCount > 0 ? successCount / requestCount : null,
  latency: { p50: requestCount > 0 ? 5 : null, p95: null, p99: null },
});
const ref = (name: string, namespace = "shop", kind = "DEPLOYMENT") => ({ kind, namespace, name });

describe("graph from resources", () => {
  const web: ResourceAnswer = {
    ...ref("web"),
    pods: { meshed: 1, total: 1 },
    metrics: metrics(600, 600),
    edges: [
      // 480 of web's 600 requests come from a visible caller; the rest is unexplained.
      { direction: "FROM", mtls: true, peer: ref("bot"), metrics: metrics(480, 480) },
      { direction: "TO", mtls: false, peer: ref("api"), metrics: metrics(300, 270) },
      { direction: "TO", mtls: true, peer: ref("ads", "other"), metrics: metrics(60, 60) },
    ],
  };
  const bot: ResourceAnswer = {
    ...ref("bot"),
    pods: { meshed: 1, total: 1 },
    metrics: metrics(0, 0),
    edges: [{ direction: "TO", mtls: true, peer: ref("web"), metrics: metrics(470, 470) }],
  };
  const api: ResourceAnswer = {
    ...ref("api"),
    pods: { meshed: 1, total: 1 },
    metrics: metrics(300, 270),
    edges: [{ direction: "FROM", mtls: false, peer: ref("web"), metrics: metrics(300, 270) }],
  };
  const idle: ResourceAnswer = { ...ref("old"), pods: { meshed: 1, total: 1 }, metrics: metrics(0, 0), edges: [] };
  const unmeshed: ResourceAnswer = { ...ref("loadgen"), pods: { meshed: 0, total: 1 }, metrics: metrics(0, 0), edges: [] };
  const graph = buildGraph([web, bot, api, idle, unmeshed], { namespaces: ["shop"], window: "1m" });
  const node = (id: string) => graph.nodes.find((n) => n.id === id)!;
  const edge = (id: string) => graph.edges.find((e) => e.id === id)!;

  it("keeps one edge per pair, the destination's own view first", () => {
    assert.equal(graph.edges.filter((e) => e.id === "DEPLOYMENT/shop/bot->DEPLOYMENT/shop/web").length, 1);
    assert.equal(edge("DEPLOYMENT/shop/bot->DEPLOYMENT/shop/web").metrics?.requestCount, 480);
    assert.equal(edge("DEPLOYMENT/shop/web->DEPLOYMENT/shop/api").mtls, false);
  });

  it("turns inbound traffic no visible caller accounts for into an UNKNOWN caller, unnamed", () => {
    const unknown = edge("unknown->DEPLOYMENT/shop/web");
    assert.equal(unknown.derived, true);
    assert.equal(unknown.metrics?.requestCount, 120);
    assert.equal(unknown.metrics?.requestsPerSecond, 2);
    assert.equal(unknown.metrics?.latency.p99, null);
    assert.equal(node("unknown").type, "UNKNOWN");
    assert.equal(node("unknown").resource, null);
    // api's only caller accounts for all of it: no unknown edge.
    assert.equal(graph.edges.some((e) => e.id === "unknown->DEPLOYMENT/shop/api"), false);
  });

  it("marks peers outside the asked namespaces, idle workloads and unmeshed ones", () => {
    assert.equal(node("DEPLOYMENT/other/ads").outside, true);
    assert.equal(node("DEPLOYMENT/other/ads").metrics, null);
    assert.equal(node("DEPLOYMENT/shop/old").idle, true);
    assert.equal(node("DEPLOYMENT/shop/loadgen").idle, false);
    assert.equal(node("DEPLOYMENT/shop/loadgen").meshed, false);
    assert.equal(node("DEPLOYMENT/shop/bot").idle, false);
  });

  it("colours a pure client by what it sent and sizes nodes by rps", () => {
    assert.equal(node("DEPLOYMENT/shop/bot").healthRate, 1);
    assert.equal(node("DEPLOYMENT/shop/api").healthRate, 0.9);
    assert.equal(node("DEPLOYMENT/shop/web").rps, 10);
    assert.equal(node("DEPLOYMENT/shop/old").healthRate, null);
  });

  it("treats null metrics and edges as unknown, not zero", () => {
    const g = buildGraph([{ ...ref("x"), metrics: null, edges: null }], { namespaces: ["shop"], window: "1m" });
    assert.equal(g.nodes.length, 1);
    assert.equal(g.nodes[0]!.metrics, null);
    assert.equal(g.nodes[0]!.rps, null);
    assert.equal(g.edges.length, 0);
  });
});

describe("the console's and the IDE's GraphQL documents", () => {
  it("are valid against the schema", () => {
    const root = new URL("../../", import.meta.url);
    const schema = buildSchema(readFileSync(new URL("schema/schema.graphql", root), "utf8"));
    const examples = readdirSync(new URL("docs/operations/", root)).map((f) => readFileSync(new URL(`docs/operations/${f}`, root), "utf8"));
    for (const doc of [NAMESPACE_GRAPH_QUERY, NAMESPACES_QUERY, ...examples]) {
      assert.deepEqual(validate(schema, parse(doc)).map((e) => e.message), []);
    }
  });
});
