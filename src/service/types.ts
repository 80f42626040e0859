// What the service layer offers to transports (GraphQL, REST). A transport
// validates nothing itself and builds no queries: it calls these.

import type { EdgeDirection } from "../domain/edges.ts";
import type { ResourceKind } from "../domain/kinds.ts";
import type { GoldenMetrics, MeasureName, MeasureStats } from "../domain/metrics.ts";
import type { ResourceRef } from "../domain/resource.ts";
import type { Window } from "../domain/window.ts";
import type { SeriesSteps } from "../domain/series.ts";
import type { GraphBasis, GraphView, IndexedGraph } from "./graph.ts";
import type { InventoryItem } from "./inventory.ts";

/** Reads one measure (e.g. "tcp") when called; null where the mesh recorded none for it. */
export type MeasureReader = <M extends MeasureName>(measure: M) => Promise<MeasureStats[M] | null>;

/** A resource as transports show it. */
export type ResourceView = InventoryItem;

export interface EdgeView {
  readonly direction: EdgeDirection;
  readonly resource: ResourceRef;
  readonly peer: ResourceRef;
  /** What the inventory knows of the peer (labels, pods, whether it still exists). */
  readonly peerView: ResourceView | null;
  readonly metrics: GoldenMetrics;
  /** true: all of it mTLS; false: some of it not; null: the mesh does not say. */
  readonly mtls: boolean | null;
  /** The edge's other measures, read on demand: a measure nobody asks for costs no query. */
  readonly measure: MeasureReader;
}

/** Window and evaluation time of one metrics question. */
export interface MetricsQuery {
  readonly window: Window;
  readonly at: Date;
}

/** Resources, their metrics and their edges: all that the SMI shim asks. */
export interface ResourceScope {
  /** The request's "now": every default `at` in one request is this moment. */
  readonly now: Date;

  /** "kubernetes": a cluster says what exists; "backend": only traffic witnesses a resource. */
  readonly inventorySource: "backend" | "kubernetes";

  /**
   * Parses and checks a window and an evaluation time from user input; defaults
   * are the configured window and `now`. A Window a transport parsed itself is
   * still checked against the scrape interval. Throws InvalidInputError.
   */
  metricsQuery(
    input: { window?: string | Window | null; at?: string | Date | null },
    fields?: { window?: string; at?: string },
  ): MetricsQuery;

  /** null when the inventory does not know it. Throws InvalidInputError for bad names. */
  getResource(kind: ResourceKind, namespace: string | null | undefined, name: string): Promise<ResourceView | null>;

  /** Every resource of a kind, in one namespace or all (null); selector in kubectl syntax. */
  listResources(kind: ResourceKind, namespace: string | null | undefined, labelSelector?: string | null): Promise<ResourceView[]>;

  /** Batched with every other metrics() call of the same request. latency false: its fields come back null, and cost no query. */
  metrics(ref: ResourceRef, q: MetricsQuery, latency?: boolean): Promise<GoldenMetrics>;

  /** One measure of the resource; null where the mesh recorded none for it. Batched with metrics(). */
  measure<M extends MeasureName>(ref: ResourceRef, q: MetricsQuery, measure: M): Promise<MeasureStats[M] | null>;

  /**
   * Batched with every other edges() call of the same request; direction null: both.
   * peerKinds: the kinds of peers to include (default: the resource's own kind, as SMI answers).
   * A direction costs no query for the other one; latency false: the edges' latency comes back null, and costs no query.
   */
  edges(
    ref: ResourceRef,
    q: MetricsQuery,
    direction?: EdgeDirection | null,
    peerKinds?: readonly ResourceKind[] | null,
    latency?: boolean,
  ): Promise<EdgeView[]>;
}

/** The service as one request sees it: one clock, one set of batching loaders. */
export interface RequestScope extends ResourceScope {
  /**
   * The workload graph of the namespaces (null: every namespace the user may
   * list): workloads of every kind, their peers elsewhere, unknown callers,
   * and hidden nodes for peers the user may not see.
   */
  graph(namespaces: readonly string[] | null | undefined, q: MetricsQuery, latency?: boolean): Promise<GraphView>;

  /**
   * Parses and checks a series' window (default 1m), range (default 1h), step
   * (default: about 60 points) and end (default now). Throws InvalidInputError.
   */
  seriesQuery(input: { window?: string | null; range?: string | null; step?: string | null; at?: string | Date | null }): SeriesSteps;

  /** The resource's golden metrics at each step; steps before the backend has data are left out. latency false as for metrics(). */
  series(ref: ResourceRef, steps: SeriesSteps, latency?: boolean): Promise<GoldenMetrics[]>;

  /** An edge's golden metrics at each step. */
  edgeSeries(edge: EdgeView, steps: SeriesSteps, latency?: boolean): Promise<GoldenMetrics[]>;

  /**
   * The graph at each step, with the namespaces and visibility it was built with.
   * Built once per basis, steps and latency in a request: every node and edge of a graph shares it.
   */
  graphSeries(basis: GraphBasis, steps: SeriesSteps, latency?: boolean): Promise<readonly IndexedGraph[]>;
}
