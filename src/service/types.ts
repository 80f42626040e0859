// What the service layer offers to transports (GraphQL, REST). A transport
// validates nothing itself and builds no queries: it calls these.

import type { EdgeDirection } from "../domain/edges.ts";
import type { ResourceKind } from "../domain/kinds.ts";
import type { GoldenMetrics } from "../domain/metrics.ts";
import type { ResourceRef } from "../domain/resource.ts";
import type { Window } from "../domain/window.ts";
import type { InventoryItem } from "./inventory.ts";

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
}

/** Window and evaluation time of one metrics question. */
export interface MetricsQuery {
  readonly window: Window;
  readonly at: Date;
}

/** The service as one request sees it: one clock, one set of batching loaders. */
export interface RequestScope {
  /** The request's "now": every default `at` in one request is this moment. */
  readonly now: Date;

  /** "kubernetes": a cluster says what exists; "backend": only traffic witnesses a resource. */
  readonly inventorySource: "backend" | "kubernetes";

  /**
   * Parses and checks a window and an evaluation time from user input; defaults
   * are the configured window and `now`. A Window a transport parsed itself is
   * still checked against the scrape interval. Throws InvalidInputError.
   */
  metricsQuery(input: { window?: string | Window | null; at?: string | Date | null }, fields?: { window?: string; at?: string }): MetricsQuery;

  /** null when the inventory does not know it. Throws InvalidInputError for bad names. */
  getResource(kind: ResourceKind, namespace: string | null | undefined, name: string): Promise<ResourceView | null>;

  /** Every resource of a kind, in one namespace or all (null); selector in kubectl syntax. */
  listResources(kind: ResourceKind, namespace: string | null | undefined, labelSelector?: string | null): Promise<ResourceView[]>;

  /** Batched with every other metrics() call of the same request. */
  metrics(ref: ResourceRef, q: MetricsQuery): Promise<GoldenMetrics>;

  /** Batched with every other edges() call of the same request; direction null: both. */
  edges(ref: ResourceRef, q: MetricsQuery, direction?: EdgeDirection | null): Promise<EdgeView[]>;
}
