// The console's GraphQL documents, apart from the fetching so that tests can
// validate them against the schema (test/web/console-model.test.ts).

import { WORKLOAD_KINDS } from "./graph.ts";

const METRICS = "timestamp window requestCount successCount failureCount requestsPerSecond successRate latency { p50 p95 p99 }";

/** One namespace's workloads of every kind, each with its metrics and edges. */
export const NAMESPACE_GRAPH_QUERY = `query ConsoleNamespace($namespace: String!, $window: Duration, $at: DateTime) {
${WORKLOAD_KINDS.map(
  (kind) => `  ${kind.toLowerCase()}: resources(kind: ${kind}, namespace: $namespace) {
    kind namespace name pods { meshed total }
    metrics(window: $window, at: $at) { ${METRICS} }
    edges(window: $window, at: $at) { direction mtls peer { kind namespace name } metrics { ${METRICS} } }
  }`,
).join("\n")}
}`;

export const NAMESPACES_QUERY = "query ConsoleNamespaces { resources(kind: NAMESPACE) { name } }";
