// The console's pure parts: numbers for people, Kiali's health thresholds,
// the graph drawn from the API's `graph` answer, and its GraphQL documents.

import assert from "node:assert/strict";
import { readdirSync, readFileSync } from "node:fs";
import { describe, it } from "node:test";
import { buildSchema, parse, validate } from "graphql";
import { formatLatency, formatNumber, formatPercent, formatRps } from "../../web/src/format.ts";
import { buildGraph, type GraphAnswer, type Metrics } from "../../web/src/graph.ts";
import { healthOf } from "../../web/src/health.ts";
import { edgeLabel } from "../../web/src/labels.ts";
import { answerOf, graphOf, refusal } from "../../web/src/answers.ts";
import {
  EDGE_SERIES_QUERY,
  GRAPH_EDGE_SERIES_QUERY,
  GRAPH_QUERY,
  GRAPH_SUBSCRIPTION,
  NAMESPACES_QUERY,
  NODE_SERIES_QUERY,
} from "../../web/src/queries.ts";

describe("console numbers", () => {
  it("shows null as a dash and zero as zero", () => {
    for (const f of [formatNumber, formatPercent, formatLatency, formatRps]) assert.equal(f(null), "–");
    assert.equal(formatNumber(0), "0");
    assert.equal(formatRps(0), "0 rps");
    assert.equal(edgeLabel({ id: "a->b", source: "a", destination: "b", mtls: null, metrics: null }), "– rps · p99 –");
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
type AnswerNode = GraphAnswer["nodes"][number];
const workload = (
  name: string,
  m: Metrics | null,
  pods = { meshed: 1, total: 1 },
  kind = "DEPLOYMENT",
  namespace = "shop",
): AnswerNode => ({
  id: `${kind}/${namespace}/${name}`,
  type: "WORKLOAD",
  outside: namespace !== "shop",
  resource: { kind, namespace, name, pods },
  metrics: m,
});
const link = (source: string, destination: string, m: Metrics | null, mtls: boolean | null = true): GraphAnswer["edges"][number] => ({
  source: { id: source },
  destination: { id: destination },
  mtls,
  metrics: m,
});

describe("graph from the API's graph answer", () => {
  const answer: GraphAnswer = {
    timestamp: "2026-11-01T12:00:00.000Z",
    window: "1m",
    nodes: [
      workload("web", metrics(600, 600)),
      workload("bot", metrics(0, 0)),
      workload("api", metrics(300, 270)),
      workload("redis", metrics(120, 120), { meshed: 1, total: 1 }, "STATEFULSET"),
      workload("old", metrics(0, 0)),
      workload("loadgen", metrics(0, 0), { meshed: 0, total: 1 }),
      workload("ads", metrics(60, 60), { meshed: 1, total: 1 }, "DEPLOYMENT", "other"),
      { id: "hidden/abc", type: "HIDDEN", outside: true, resource: null, metrics: metrics(30, 30) },
      { id: "unknown", type: "UNKNOWN", outside: false, resource: null, metrics: metrics(0, 0) },
    ],
    edges: [
      link("DEPLOYMENT/shop/bot", "DEPLOYMENT/shop/web", metrics(480, 480)),
      link("unknown", "DEPLOYMENT/shop/web", metrics(120, 114), null),
      link("DEPLOYMENT/shop/web", "DEPLOYMENT/shop/api", metrics(300, 270), false),
      link("DEPLOYMENT/shop/api", "STATEFULSET/shop/redis", metrics(120, 120)),
      link("DEPLOYMENT/shop/web", "DEPLOYMENT/other/ads", metrics(60, 60)),
      link("DEPLOYMENT/shop/web", "hidden/abc", metrics(30, 30)),
    ],
  };
  const graph = buildGraph(answer);
  const node = (id: string) => graph.nodes.find((n) => n.id === id)!;

  it("keeps the API's nodes and edges, cross-kind ones included, with ids from their ends", () => {
    assert.deepEqual(
      graph.nodes.map((n) => n.id),
      answer.nodes.map((n) => n.id),
    );
    assert.ok(graph.edges.some((e) => e.id === "DEPLOYMENT/shop/api->STATEFULSET/shop/redis"));
    assert.equal(graph.edges.find((e) => e.id === "DEPLOYMENT/shop/web->DEPLOYMENT/shop/api")?.mtls, false);
    assert.equal(node("unknown").resource, null);
    assert.equal(node("hidden/abc").resource, null);
  });

  it("marks idle and unmeshed workloads; peers and stand-ins are never idle", () => {
    assert.equal(node("DEPLOYMENT/shop/old").idle, true);
    assert.equal(node("DEPLOYMENT/shop/loadgen").idle, false);
    assert.equal(node("DEPLOYMENT/shop/loadgen").meshed, false);
    assert.equal(node("DEPLOYMENT/shop/bot").idle, false);
    assert.equal(node("DEPLOYMENT/other/ads").outside, true);
    assert.equal(node("unknown").idle, false);
  });

  it("colours a pure client by what it sent and sizes nodes by rps", () => {
    assert.equal(node("DEPLOYMENT/shop/bot").healthRate, 1);
    assert.equal(node("DEPLOYMENT/shop/api").healthRate, 0.9);
    assert.equal(node("DEPLOYMENT/shop/web").rps, 10);
    assert.equal(node("unknown").healthRate, 0.95);
    assert.equal(node("unknown").rps, 2);
    assert.equal(node("DEPLOYMENT/shop/old").healthRate, null);
  });

  it("treats null metrics as unknown, not zero", () => {
    const g = buildGraph({ timestamp: answer.timestamp, window: "1m", nodes: [workload("x", null, { meshed: 1, total: 1 })], edges: [] });
    assert.equal(g.nodes[0]!.metrics, null);
    assert.equal(g.nodes[0]!.rps, null);
    assert.equal(g.nodes[0]!.healthRate, null);
  });
});

describe("answers with errors", () => {
  const unavailable = { message: "the backend did not answer", extensions: { code: "BACKEND_UNAVAILABLE" } };
  const timestamp = "2026-11-01T12:00:00.000Z";

  it("draws a partial graph: a node whose metrics failed is null, its error kept for the status line", () => {
    const body = {
      data: { graph: { timestamp, window: "1m", nodes: [workload("x", null), workload("y", metrics(60, 60))], edges: [] } },
      errors: [unavailable],
    };
    const { data, errors } = graphOf(answerOf(body, "test"));
    assert.deepEqual(
      data.nodes.map((n) => [n.id, n.metrics?.requestCount ?? null]),
      [
        ["DEPLOYMENT/shop/x", null],
        ["DEPLOYMENT/shop/y", 60],
      ],
    );
    assert.deepEqual(
      errors.map((e) => [e.message, e.code]),
      [[unavailable.message, "BACKEND_UNAVAILABLE"]],
    );
  });

  it("throws the errors of an answer without data, or without a graph", () => {
    assert.throws(() => answerOf({ data: null, errors: [unavailable] }, "test"), {
      message: unavailable.message,
      code: "BACKEND_UNAVAILABLE",
    });
    assert.throws(() => graphOf(answerOf({ data: { graph: null }, errors: [unavailable] }, "test")), { code: "BACKEND_UNAVAILABLE" });
  });

  it("tells a refused subscription (GraphQL errors) from a failed socket (CloseEvent or Error)", () => {
    const refused = refusal([{ message: "namespaces: not a label value", extensions: { code: "BAD_USER_INPUT" } }]);
    assert.deepEqual([refused?.message, refused?.code], ["namespaces: not a label value", "BAD_USER_INPUT"]);
    assert.equal(refusal({ code: 1006, reason: "" }), null);
    assert.equal(refusal(new Error("socket hang up")), null);
  });
});

describe("the console's and the IDE's GraphQL documents", () => {
  it("are valid against the schema", () => {
    const root = new URL("../../", import.meta.url);
    const schema = buildSchema(readFileSync(new URL("schema/schema.graphql", root), "utf8"));
    const examples = readdirSync(new URL("docs/operations/", root)).map((f) => readFileSync(new URL(`docs/operations/${f}`, root), "utf8"));
    for (const doc of [
      GRAPH_QUERY,
      GRAPH_SUBSCRIPTION,
      NODE_SERIES_QUERY,
      EDGE_SERIES_QUERY,
      GRAPH_EDGE_SERIES_QUERY,
      NAMESPACES_QUERY,
      ...examples,
    ]) {
      assert.deepEqual(
        validate(schema, parse(doc)).map((e) => e.message),
        [],
      );
    }
  });
});
