// The workload graph as the console draws it: the API's `graph` answer
// (workloads of every kind, UNKNOWN callers, HIDDEN peers, cross-kind edges)
// plus what drawing needs and the API leaves to clients: which workloads are
// idle or unmeshed, and the rate and rps that colour and size each node.

export interface Latency {
  readonly p50: number | null;
  readonly p95: number | null;
  readonly p99: number | null;
}

/** TrafficMetrics as the API answers it. */
export interface Metrics {
  readonly timestamp: string;
  readonly window: string;
  readonly requestCount: number;
  readonly successCount: number;
  readonly failureCount: number;
  readonly requestsPerSecond: number;
  readonly successRate: number | null;
  readonly latency: Latency;
}

export interface ResourceId {
  readonly kind: string;
  readonly namespace: string | null;
  readonly name: string;
}

export type GraphNodeType = "WORKLOAD" | "UNKNOWN" | "HIDDEN";

/** `graph { … }` as GRAPH_QUERY and GRAPH_SUBSCRIPTION select it. */
export interface GraphAnswer {
  readonly timestamp: string;
  readonly window: string;
  readonly nodes: ReadonlyArray<{
    readonly id: string;
    readonly type: GraphNodeType;
    readonly outside: boolean;
    /** Meshed and total pods; null without a cluster connection. */
    readonly resource: (ResourceId & { readonly pods?: { readonly meshed: number; readonly total: number } | null }) | null;
    /** null when the backend failed. */
    readonly metrics: Metrics | null;
  }>;
  readonly edges: ReadonlyArray<{
    readonly source: { readonly id: string };
    readonly destination: { readonly id: string };
    readonly mtls: boolean | null;
    readonly metrics: Metrics | null;
  }>;
}

export interface GraphNode {
  readonly id: string;
  readonly type: GraphNodeType;
  /** null for UNKNOWN and HIDDEN: they are never named. */
  readonly resource: ResourceId | null;
  /** In a namespace that was not asked for. */
  readonly outside: boolean;
  /** What it received, as the API gives it; null where the backend failed. */
  readonly metrics: Metrics | null;
  /** false: no pod runs a proxy, so the mesh reports nothing of it; null: not known. */
  readonly meshed: boolean | null;
  /** A meshed workload with no traffic either way in the window. */
  readonly idle: boolean;
  /** Success rate that colours the node: what it received, else what it sent (a pure client, the unknown callers). */
  readonly healthRate: number | null;
  /** Requests per second that size the node: received, else sent. */
  readonly rps: number | null;
}

export interface GraphEdge {
  readonly id: string;
  readonly source: string;
  readonly destination: string;
  readonly mtls: boolean | null;
  readonly metrics: Metrics | null;
}

export interface Graph {
  readonly timestamp: string;
  readonly window: string;
  readonly nodes: readonly GraphNode[];
  readonly edges: readonly GraphEdge[];
}

export const edgeId = (source: string, destination: string): string => `${source}->${destination}`;

export function buildGraph(answer: GraphAnswer): Graph {
  const edges: GraphEdge[] = answer.edges.map((e) => ({
    id: edgeId(e.source.id, e.destination.id),
    source: e.source.id,
    destination: e.destination.id,
    mtls: e.mtls,
    metrics: e.metrics,
  }));
  const outboundOf = new Map<string, GraphEdge[]>();
  const touched = new Set<string>();
  for (const e of edges) {
    if ((e.metrics?.requestCount ?? 0) > 0) touched.add(e.source).add(e.destination);
    const list = outboundOf.get(e.source) ?? [];
    list.push(e);
    outboundOf.set(e.source, list);
  }
  const nodes = answer.nodes.map((n): GraphNode => {
    const pods = n.resource?.pods;
    const meshed = pods == null || pods.total === 0 ? null : pods.meshed > 0;
    const received = n.metrics && n.metrics.requestCount > 0 ? n.metrics : null;
    const sent = sum((outboundOf.get(n.id) ?? []).map((e) => e.metrics));
    return {
      id: n.id,
      type: n.type,
      resource: n.resource && { kind: n.resource.kind, namespace: n.resource.namespace, name: n.resource.name },
      outside: n.outside,
      metrics: n.metrics,
      meshed,
      idle: meshed !== false && n.type === "WORKLOAD" && !touched.has(n.id) && !received,
      healthRate: received ? received.successRate : sent.requests > 0 ? sent.success / sent.requests : null,
      rps: received ? received.requestsPerSecond : sent.requests > 0 ? sent.rps : n.metrics ? n.metrics.requestsPerSecond : null,
    };
  });
  return { timestamp: answer.timestamp, window: answer.window, nodes, edges };
}

function sum(metrics: ReadonlyArray<Metrics | null>): { requests: number; success: number; rps: number } {
  let requests = 0;
  let success = 0;
  let rps = 0;
  for (const m of metrics) {
    if (!m) continue;
    requests += m.requestCount;
    success += m.successCount;
    rps += m.requestsPerSecond;
  }
  return { requests, success, rps };
}
