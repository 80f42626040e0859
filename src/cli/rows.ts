// Turning GraphQL answers into rows: the columns of the tables and the
// documented, stable JSON shape (docs/cli.md).

import { KIND_INFO } from "../domain/kinds.ts";
import { count, latency, meshed, percent, rps, tls } from "./format.ts";
import type { EdgeRow, Metrics, Ref, StatRow } from "./queries.ts";

export const METRIC_HEAD = ["SUCCESS", "RPS", "LATENCY_P50", "LATENCY_P95", "LATENCY_P99"] as const;
export const WIDE_HEAD = ["REQUESTS", "FAILURES", "LATENCY_P90"] as const;

export function metricCells(m: Metrics): string[] {
  return [percent(m.successRate), rps(m.requestsPerSecond), latency(m.latency.p50), latency(m.latency.p95), latency(m.latency.p99)];
}

export function wideCells(m: Metrics): string[] {
  return [count(m.requestCount), count(m.failureCount), latency(m.latency.p90)];
}

export function statCells(row: StatRow): string[] {
  return [row.name, meshed(row.pods), ...metricCells(row.metrics)];
}

/** One direction of traffic: who called whom. */
export interface Traffic {
  readonly from: Ref;
  readonly to: Ref;
  readonly mtls: boolean | null;
  readonly metrics: Metrics;
}

const refKey = (r: Ref): string => `${r.kind}/${r.namespace ?? ""}/${r.name}`;

/** Edges seen from both ends appear twice in a listing: once per pair is enough. */
export function traffic(edges: readonly EdgeRow[]): Traffic[] {
  const pairs = new Map<string, Traffic>();
  for (const e of edges) {
    const [from, to] = e.direction === "TO" ? [e.resource, e.peer] : [e.peer, e.resource];
    const key = `${refKey(from)} ${refKey(to)}`;
    if (!pairs.has(key)) pairs.set(key, { from, to, mtls: e.mtls, metrics: e.metrics });
  }
  return [...pairs.values()].sort((a, b) => `${refKey(a.from)} ${refKey(a.to)}`.localeCompare(`${refKey(b.from)} ${refKey(b.to)}`));
}

export function trafficCells(t: Traffic): string[] {
  return [t.from.name, t.to.name, t.from.namespace ?? "-", t.to.namespace ?? "-", ...metricCells(t.metrics), tls(t.mtls)];
}

export const TRAFFIC_HEAD = ["SRC", "DST", "SRC_NS", "DST_NS", ...METRIC_HEAD, "TLS"] as const;

// ---- JSON: key order and names are part of the documented interface ----

function metricsJson(m: Metrics) {
  return {
    window: m.window,
    timestamp: m.timestamp,
    requestCount: m.requestCount,
    successCount: m.successCount,
    failureCount: m.failureCount,
    successRate: m.successRate,
    requestsPerSecond: m.requestsPerSecond,
    latencyMs: { p50: m.latency.p50, p90: m.latency.p90, p95: m.latency.p95, p99: m.latency.p99 },
  };
}

const refJson = (r: Ref) => ({ kind: KIND_INFO[r.kind].kubeKind, namespace: r.namespace, name: r.name });

export function statJson(row: StatRow) {
  return { ...refJson(row), pods: row.pods ? { meshed: row.pods.meshed, total: row.pods.total } : null, ...metricsJson(row.metrics) };
}

export function trafficJson(t: Traffic) {
  return { from: refJson(t.from), to: refJson(t.to), mtls: t.mtls, ...metricsJson(t.metrics) };
}
