// The workload graph in the shape of issue 9's `graph` query, assembled from
// per-resource answers: nodes, deduplicated edges, the inbound traffic that no
// visible caller accounts for (an UNKNOWN node), and which workloads are idle.

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

export const WORKLOAD_KINDS = ["DEPLOYMENT", "STATEFULSET", "DAEMONSET", "JOB"] as const;

export interface ResourceId {
  readonly kind: string;
  readonly namespace: string | null;
  readonly name: string;
}

export interface EdgeAnswer {
  readonly direction: "FROM" | "TO";
  readonly mtls: boolean | null;
  readonly peer: ResourceId;
  readonly metrics: Metrics | null;
}

export interface ResourceAnswer extends ResourceId {
  /** Meshed and total pods; null without a cluster connection. */
  readonly pods?: { readonly meshed: number; readonly total: number } | null;
  readonly metrics: Metrics | null;
  readonly edges: readonly EdgeAnswer[] | null;
}

export type GraphNodeType = "WORKLOAD" | "UNKNOWN" | "HIDDEN";

export interface GraphNode {
  readonly id: string;
  readonly type: GraphNodeType;
  /** null for UNKNOWN and HIDDEN: they are never named. */
  readonly resource: ResourceId | null;
  /** In a namespace that was not asked for. */
  readonly outside: boolean;
  /** What it received; null where the API gave none (peers outside the asked namespaces, UNKNOWN). */
  readonly metrics: Metrics | null;
  /** false: no pod runs a proxy, so the mesh reports nothing of it; null: not known. */
  readonly meshed: boolean | null;
  /** Meshed, with no traffic either way in the window. */
  readonly idle: boolean;
  /** Success rate that colours the node: what it received, else what it sent (a pure client). */
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
  /** Computed by subtraction (the UNKNOWN caller's edge), not measured on one edge. */
  readonly derived: boolean;
}

export interface Graph {
  readonly timestamp: string | null;
  readonly window: string;
  readonly nodes: readonly GraphNode[];
  readonly edges: readonly GraphEdge[];
}

export const UNKNOWN_ID = "unknown";
/** Inbound requests that the visible callers leave unexplained, as a share, before an UNKNOWN edge is drawn. */
const UNEXPLAINED_SHARE = 0.01;

export function nodeId(r: ResourceId): string {
  return `${r.kind}/${r.namespace ?? ""}/${r.name}`;
}

export function buildGraph(resources: readonly ResourceAnswer[], q: { readonly namespaces: readonly string[]; readonly window: string }): Graph {
  const asked = new Set(q.namespaces);
  const known = new Map<string, ResourceAnswer>();
  for (const r of resources) known.set(nodeId(r), r);

  // One edge per (source, destination); the destination's own (FROM) view wins, as Kiali prefers the reporter that served.
  const edges = new Map<string, GraphEdge & { fromDestination: boolean }>();
  const peers = new Map<string, ResourceId>();
  for (const r of resources) {
    for (const e of r.edges ?? []) {
      const self = nodeId(r);
      const peer = nodeId(e.peer);
      if (!known.has(peer)) peers.set(peer, e.peer);
      const [source, destination] = e.direction === "FROM" ? [peer, self] : [self, peer];
      const id = `${source}->${destination}`;
      const fromDestination = e.direction === "FROM";
      const existing = edges.get(id);
      if (existing && (existing.fromDestination || !fromDestination)) continue;
      edges.set(id, { id, source, destination, mtls: e.mtls, metrics: e.metrics, derived: false, fromDestination });
    }
  }

  const all: GraphEdge[] = [...edges.values()].map(({ fromDestination: _, ...e }) => e);
  const unknownEdges = unexplainedInbound(resources, all);
  all.push(...unknownEdges);

  const outboundOf = new Map<string, GraphEdge[]>();
  const touched = new Set<string>();
  for (const e of all) {
    if ((e.metrics?.requestCount ?? 0) > 0) {
      touched.add(e.source).add(e.destination);
    }
    const list = outboundOf.get(e.source) ?? [];
    list.push(e);
    outboundOf.set(e.source, list);
  }
  const nodeOf = (id: string, type: GraphNodeType, resource: ResourceId | null, metrics: Metrics | null, pods?: ResourceAnswer["pods"]): GraphNode => {
    const received = metrics && metrics.requestCount > 0 ? metrics : null;
    const meshed = pods == null || pods.total === 0 ? null : pods.meshed > 0;
    const sent = sum((outboundOf.get(id) ?? []).map((e) => e.metrics));
    return {
      id,
      type,
      resource,
      outside: resource !== null && resource.namespace !== null && !asked.has(resource.namespace),
      metrics,
      meshed,
      idle: meshed !== false && type === "WORKLOAD" && !touched.has(id) && !received,
      healthRate: received ? received.successRate : sent.requests > 0 ? sent.success / sent.requests : null,
      rps: received ? received.requestsPerSecond : sent.requests > 0 ? sent.rps : metrics ? metrics.requestsPerSecond : null,
    };
  };

  const nodes: GraphNode[] = [
    ...resources.map((r) => nodeOf(nodeId(r), "WORKLOAD", { kind: r.kind, namespace: r.namespace, name: r.name }, r.metrics, r.pods)),
    ...[...peers].map(([id, p]) => nodeOf(id, "WORKLOAD", p, null)),
  ];
  if (unknownEdges.length > 0) nodes.push(nodeOf(UNKNOWN_ID, "UNKNOWN", null, null));
  const timestamp = resources.find((r) => r.metrics)?.metrics?.timestamp ?? null;
  return { timestamp, window: q.window, nodes, edges: all };
}

/**
 * Inbound requests that no visible caller accounts for: unmeshed clients,
 * callers of another kind, or callers this user may not see. They become one
 * edge from the UNKNOWN node, so nothing is dropped and nobody is named.
 */
function unexplainedInbound(resources: readonly ResourceAnswer[], edges: readonly GraphEdge[]): GraphEdge[] {
  const out: GraphEdge[] = [];
  for (const r of resources) {
    const m = r.metrics;
    if (!m || m.requestCount <= 0) continue;
    const id = nodeId(r);
    const seen = sum(edges.filter((e) => e.destination === id).map((e) => e.metrics));
    const requests = m.requestCount - seen.requests;
    if (requests <= m.requestCount * UNEXPLAINED_SHARE) continue;
    const success = Math.max(0, m.successCount - seen.success);
    const failure = Math.max(0, m.failureCount - (seen.requests - seen.success));
    const perRequest = m.requestsPerSecond / m.requestCount;
    out.push({
      id: `${UNKNOWN_ID}->${id}`,
      source: UNKNOWN_ID,
      destination: id,
      mtls: null,
      derived: true,
      metrics: {
        timestamp: m.timestamp,
        window: m.window,
        requestCount: requests,
        successCount: success,
        failureCount: failure,
        requestsPerSecond: requests * perRequest,
        successRate: Math.min(1, success / requests),
        latency: { p50: null, p95: null, p99: null },
      },
    });
  }
  return out;
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
