// The console's GraphQL documents, apart from the fetching so that tests can
// validate them against the schema (test/web/console-model.test.ts).

const METRICS = "timestamp window requestCount successCount failureCount requestsPerSecond successRate latency { p50 p95 p99 }";
/** What a sparkline needs of each point. */
const POINT = "timestamp requestsPerSecond successRate latency { p99 }";

/** One graph's nodes and edges, the same in the query and in the subscription. */
const GRAPH_FIELDS = `timestamp window
    nodes { id type outside resource { kind namespace name pods { meshed total } } metrics { ${METRICS} } }
    edges { source { id } destination { id } mtls metrics { ${METRICS} } }`;

/** The workload graph of the namespaces: every kind, cross-kind edges, unknown callers and hidden peers. */
export const GRAPH_QUERY = `query ConsoleGraph($namespaces: [String!], $window: Duration, $at: DateTime) {
  graph(namespaces: $namespaces, window: $window, at: $at) {
    ${GRAPH_FIELDS}
  }
}`;

/** The same graph, again at every scrape interval (`every` defaults to it): auto-refresh without polling. */
export const GRAPH_SUBSCRIPTION = `subscription ConsoleLiveGraph($namespaces: [String!], $window: Duration) {
  graph(namespaces: $namespaces, window: $window) {
    ${GRAPH_FIELDS}
  }
}`;

/** A workload's last hour: GraphNode.series of a workload is its Resource.series, asked here for that one node only. */
export const NODE_SERIES_QUERY = `query ConsoleNodeSeries($kind: ResourceKind!, $namespace: String, $name: String!, $at: DateTime) {
  resource(kind: $kind, namespace: $namespace, name: $name) {
    series(range: "1h", at: $at) { ${POINT} }
  }
}`;

/**
 * The last hour of a workload's edges in one direction with peers of one kind
 * (Edge.series): the console asks it of one end of an edge between two named workloads.
 */
export const EDGE_SERIES_QUERY = `query ConsoleEdgeSeries(
  $kind: ResourceKind!, $namespace: String, $name: String!, $direction: EdgeDirection!, $peerKinds: [ResourceKind!],
  $window: Duration, $at: DateTime
) {
  resource(kind: $kind, namespace: $namespace, name: $name) {
    edges(direction: $direction, peerKinds: $peerKinds, window: $window, at: $at) {
      peer { kind namespace name }
      series(range: "1h", at: $at) { ${POINT} }
    }
  }
}`;

/** The last hour of the graph's edges (GraphEdge.series), in the namespaces of the edge's ends: for edges with an unnamed end. */
export const GRAPH_EDGE_SERIES_QUERY = `query ConsoleGraphEdgeSeries($namespaces: [String!], $window: Duration, $at: DateTime) {
  graph(namespaces: $namespaces, window: $window, at: $at) {
    edges { source { id } destination { id } series(range: "1h", at: $at) { ${POINT} } }
  }
}`;

export const NAMESPACES_QUERY = "query ConsoleNamespaces { resources(kind: NAMESPACE) { name } }";
