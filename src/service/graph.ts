// Assembles the workload graph from traffic pairs and the inventory: one node
// per workload, unknown callers as one UNKNOWN node, and peers the user may
// not see as HIDDEN nodes whose ids reveal nothing. Pure: no I/O here.

import { createHmac, randomBytes } from "node:crypto";
import { EMPTY_GOLDEN, type GoldenMetrics, goldenMetrics, type GoldenStats, NO_LATENCY } from "../domain/metrics.ts";
import { compareRefs, refKey, type ResourceRef } from "../domain/resource.ts";
import type { TrafficPair } from "../domain/traffic.ts";
import type { MetricsQuery, ResourceView } from "./types.ts";

export type GraphNodeType = "WORKLOAD" | "UNKNOWN" | "HIDDEN";

export interface GraphNodeView {
  readonly id: string;
  readonly type: GraphNodeType;
  /** null for UNKNOWN and HIDDEN: their names are not the user's to see. */
  readonly resource: ResourceView | null;
  /** In a namespace that was not asked for. */
  readonly outside: boolean;
  /**
   * What UNKNOWN and HIDDEN nodes received, summed from this graph's own edges
   * (never from the backend, which would tell more than the user may see).
   * null for WORKLOAD nodes: their metrics are the resource's own.
   */
  readonly received: GoldenMetrics | null;
}

export interface GraphEdgeView {
  readonly source: GraphNodeView;
  readonly destination: GraphNodeView;
  readonly mtls: boolean | null;
  readonly metrics: GoldenMetrics;
}

export interface GraphView {
  readonly timestamp: Date;
  readonly window: MetricsQuery["window"];
  readonly nodes: readonly GraphNodeView[];
  readonly edges: readonly GraphEdgeView[];
  /** What the graph was built from, besides its traffic: its series reuse it at every step. */
  readonly basis: GraphBasis;
}

/** What a graph is built from, besides its traffic and moment. */
export interface GraphBasis {
  /** The namespaces asked for (after defaults and authorization). */
  readonly namespaces: ReadonlySet<string>;
  /** Workloads the inventory knows in the asked namespaces, idle ones included. */
  readonly present: readonly ResourceView[];
  /** The inventory's view of a resource that appears in the traffic. */
  readonly viewOf: (ref: ResourceRef) => ResourceView;
  /** Whether the user may see the resource by name. */
  readonly visible: (ref: ResourceRef) => boolean;
}

export interface GraphInput extends GraphBasis {
  readonly query: MetricsQuery;
  readonly pairs: readonly TrafficPair[];
}

/** A graph with its nodes by id and its edges by their ends' ids: one lookup each, however large the graph. */
export interface IndexedGraph {
  readonly view: GraphView;
  readonly nodes: ReadonlyMap<string, GraphNodeView>;
  readonly edges: ReadonlyMap<string, GraphEdgeView>;
}

/** The key of an edge in IndexedGraph.edges. */
export const edgeKey = (sourceId: string, destinationId: string): string => `${sourceId} ${destinationId}`;

export function indexGraph(view: GraphView): IndexedGraph {
  return {
    view,
    nodes: new Map(view.nodes.map((n) => [n.id, n])),
    edges: new Map(view.edges.map((e) => [edgeKey(e.source.id, e.destination.id), e])),
  };
}

/** The stable id of a workload node: kind/namespace/name. */
export const workloadNodeId = (ref: ResourceRef): string => `${ref.kind}/${ref.namespace ?? ""}/${ref.name}`;

export const UNKNOWN_NODE_ID = "unknown";

// Per process: ids of hidden nodes are stable across refreshes, so layouts do
// not jump, yet cannot be reversed into names by guessing them.
const HIDDEN_KEY = randomBytes(32);
const hiddenNodeId = (ref: ResourceRef): string =>
  `hidden/${createHmac("sha256", HIDDEN_KEY).update(refKey(ref)).digest("base64url").slice(0, 16)}`;

export function assembleGraph(input: GraphInput): GraphView {
  const { query, pairs, ...basis } = input;
  const nodes = new Map<string, GraphNodeView>();
  const inflow = new Map<string, { success: number; failure: number }>();

  const nodeOf = (ref: ResourceRef | null): GraphNodeView => {
    const node = ref === null ? unknownNode() : input.visible(ref) ? workloadNode(ref) : hiddenNode(ref);
    const known = nodes.get(node.id);
    if (known) return known;
    nodes.set(node.id, node);
    return node;
  };
  const workloadNode = (ref: ResourceRef): GraphNodeView => ({
    id: workloadNodeId(ref),
    type: "WORKLOAD",
    resource: input.viewOf(ref),
    outside: !input.namespaces.has(ref.namespace ?? ref.name),
    received: null,
  });
  const hiddenNode = (ref: ResourceRef): GraphNodeView => ({
    id: hiddenNodeId(ref),
    type: "HIDDEN",
    resource: null,
    outside: true,
    received: null,
  });
  const unknownNode = (): GraphNodeView => ({ id: UNKNOWN_NODE_ID, type: "UNKNOWN", resource: null, outside: false, received: null });

  for (const view of input.present) nodeOf(view.ref);
  const edges: GraphEdgeView[] = [];
  for (const pair of pairs) {
    const golden = pair.stats.golden ?? EMPTY_GOLDEN;
    if (golden.success + golden.failure <= 0) continue;
    const source = nodeOf(pair.from);
    const destination = nodeOf(pair.to);
    edges.push({ source, destination, mtls: pair.mtls, metrics: goldenMetrics(golden, query.window, query.at) });
    const sum = inflow.get(destination.id) ?? { success: 0, failure: 0 };
    sum.success += golden.success;
    sum.failure += golden.failure;
    inflow.set(destination.id, sum);
  }

  // Nodes without a resource get what this graph's edges carried into them; latency cannot be summed.
  const finished = [...nodes.values()].map((n): GraphNodeView => {
    if (n.type === "WORKLOAD") return n;
    const sum = inflow.get(n.id) ?? { success: 0, failure: 0 };
    const raw: GoldenStats = { success: sum.success, failure: sum.failure, latency: NO_LATENCY };
    return { ...n, received: goldenMetrics(raw, query.window, query.at) };
  });
  const byId = new Map(finished.map((n) => [n.id, n]));
  const relinked = edges.map((e) => ({ ...e, source: byId.get(e.source.id)!, destination: byId.get(e.destination.id)! }));
  return {
    timestamp: query.at,
    window: query.window,
    nodes: finished.sort(compareNodes),
    edges: relinked.sort((a, b) => compareNodes(a.source, b.source) || compareNodes(a.destination, b.destination)),
    basis,
  };
}

const TYPE_ORDER: Readonly<Record<GraphNodeType, number>> = { WORKLOAD: 0, HIDDEN: 1, UNKNOWN: 2 };

/** Workloads in ref order, then hidden and unknown nodes by id: one order for every answer. */
function compareNodes(a: GraphNodeView, b: GraphNodeView): number {
  if (a.resource && b.resource) return compareRefs(a.resource.ref, b.resource.ref);
  return TYPE_ORDER[a.type] - TYPE_ORDER[b.type] || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0);
}
