// The GraphQL operations of `meshql stat`, `edges` and `top`, with the types of
// their answers. test/cli-queries.test.ts validates each against the schema.

import type { ResourceKind } from "../domain/kinds.ts";

const METRICS = /* GraphQL */ `
fragment CliMetrics on TrafficMetrics {
  timestamp
  window
  requestCount
  successCount
  failureCount
  successRate
  requestsPerSecond
  latency { p50 p90 p95 p99 }
}`;

export interface Metrics {
  readonly timestamp: string;
  readonly window: string;
  readonly requestCount: number;
  readonly successCount: number;
  readonly failureCount: number;
  readonly successRate: number | null;
  readonly requestsPerSecond: number;
  readonly latency: { readonly p50: number | null; readonly p90: number | null; readonly p95: number | null; readonly p99: number | null };
}

export interface Ref {
  readonly kind: ResourceKind;
  readonly namespace: string | null;
  readonly name: string;
}

export interface StatRow extends Ref {
  readonly pods: { readonly meshed: number; readonly total: number } | null;
  readonly metrics: Metrics;
}

export interface EdgeRow {
  readonly direction: "FROM" | "TO";
  readonly mtls: boolean | null;
  readonly resource: Ref;
  readonly peer: Ref;
  readonly metrics: Metrics;
}

/** Variables every operation takes: the window and its end. */
export interface WindowVars {
  readonly window: string;
  readonly at?: string | null;
}

export const STAT_LIST = /* GraphQL */ `
query CliStatList($kind: ResourceKind!, $namespace: String, $labelSelector: String, $window: Duration, $at: DateTime) {
  resources(kind: $kind, namespace: $namespace, labelSelector: $labelSelector) {
    kind namespace name
    pods { meshed total }
    metrics(window: $window, at: $at) { ...CliMetrics }
  }
}
${METRICS}`;
export type StatListVariables = WindowVars & { kind: ResourceKind; namespace: string | null; labelSelector: string | null };
export interface StatListResult {
  readonly resources: readonly StatRow[];
}

export const STAT_ONE = /* GraphQL */ `
query CliStatOne($kind: ResourceKind!, $namespace: String, $name: String!, $window: Duration, $at: DateTime) {
  resource(kind: $kind, namespace: $namespace, name: $name) {
    kind namespace name
    pods { meshed total }
    metrics(window: $window, at: $at) { ...CliMetrics }
  }
}
${METRICS}`;
export type StatOneVariables = WindowVars & { kind: ResourceKind; namespace: string | null; name: string };
export interface StatOneResult {
  readonly resource: StatRow | null;
}

const EDGE = /* GraphQL */ `
fragment CliEdge on Edge {
  direction
  mtls
  resource { kind namespace name }
  peer { kind namespace name }
  metrics { ...CliMetrics }
}`;

export const EDGES_ONE = /* GraphQL */ `
query CliEdgesOne($kind: ResourceKind!, $namespace: String, $name: String!, $window: Duration, $at: DateTime, $direction: EdgeDirection) {
  resource(kind: $kind, namespace: $namespace, name: $name) {
    edges(window: $window, at: $at, direction: $direction) { ...CliEdge }
  }
}
${EDGE}
${METRICS}`;
export type EdgesOneVariables = WindowVars & {
  kind: ResourceKind;
  namespace: string | null;
  name: string;
  direction: "FROM" | "TO" | null;
};
export interface EdgesOneResult {
  readonly resource: { readonly edges: readonly EdgeRow[] } | null;
}

export const EDGES_LIST = /* GraphQL */ `
query CliEdgesList($kind: ResourceKind!, $namespace: String, $window: Duration, $at: DateTime) {
  resources(kind: $kind, namespace: $namespace) {
    edges(window: $window, at: $at) { ...CliEdge }
  }
}
${EDGE}
${METRICS}`;
export type EdgesListVariables = WindowVars & { kind: ResourceKind; namespace: string | null };
export interface EdgesListResult {
  readonly resources: readonly { readonly edges: readonly EdgeRow[] }[];
}

/** Every operation, for the test that validates them against the schema. */
export const OPERATIONS = { STAT_LIST, STAT_ONE, EDGES_ONE, EDGES_LIST } as const;
