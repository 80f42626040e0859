// The one interface every mesh adapter implements. It speaks in domain terms
// only: no HTTP, no GraphQL, and nothing that assumes Prometheus.

import type { EdgeDirection, EdgeStats } from "../domain/edges.ts";
import type { ResourceKind } from "../domain/kinds.ts";
import type { MeasureName, RawStats } from "../domain/metrics.ts";
import type { ResourceRef } from "../domain/resource.ts";
import type { TrafficPair } from "../domain/traffic.ts";
import type { Window } from "../domain/window.ts";

export type MeshName = "linkerd" | "istio" | "consul";
export const MESH_NAMES: readonly MeshName[] = ["linkerd", "istio", "consul"];

/** One batch: resources of a single kind, over one window, at one moment. */
export interface StatsBatch {
  readonly kind: ResourceKind;
  readonly refs: readonly ResourceRef[];
  readonly window: Window;
  readonly at: Date;
  /** The measures to read; golden when absent. A measure nobody asked for costs no query. */
  readonly measures?: readonly MeasureName[];
  /** false: golden's latency is not wanted (no bucket query; latency comes back empty). */
  readonly latency?: boolean;
  /** Edges only: the one direction wanted, so the other half of the edge query is not sent; absent: both. */
  readonly direction?: EdgeDirection;
}

/** The traffic of a set of namespaces, over one window, at one moment. */
export interface TrafficBatch {
  /** Sorted and distinct. */
  readonly namespaces: readonly string[];
  readonly window: Window;
  readonly at: Date;
  /** false: the pairs' latency is not wanted (no bucket query; latency comes back empty). */
  readonly latency?: boolean;
}

/** Which resources a listing covers: a kind, in one namespace or in all of them. */
export interface ListScope {
  readonly kind: ResourceKind;
  /** null: every namespace */
  readonly namespace: string | null;
  /** End of the period in which a resource must have had traffic to be listed. */
  readonly at: Date;
  /** How far back from `at` traffic counts as "seen". */
  readonly lookback: Window;
  /**
   * Only whether these resources (of the kind, in the namespace) were seen: a
   * mesh that can may ask about them alone instead of listing the namespace.
   * The answer may still hold others.
   */
  readonly only?: readonly ResourceRef[];
}

export interface MeshAdapter {
  readonly mesh: MeshName;

  /**
   * The batch's measures of every resource in it, keyed by refKey.
   * A resource without traffic may be missing from the map; callers treat it as idle.
   * The number of backend queries does not depend on refs.length.
   */
  resourceStats(batch: StatsBatch): Promise<Map<string, RawStats>>;

  /**
   * Edges of every resource in the batch, both directions (or the batch's one), peers in any namespace, with
   * the measures that show traffic on them (an edge has at least one).
   * Peers are of the batch's kind. The number of backend queries does not depend on refs.length.
   */
  edges(batch: StatsBatch): Promise<EdgeStats[]>;

  /**
   * Traffic between workloads of any kind (top-level owners, or unowned pods)
   * where either end is in the batch's namespaces, and for each destination
   * in them, what it received from callers the mesh cannot name (`from: null`).
   * The number of backend queries does not depend on the number of workloads.
   */
  traffic(batch: TrafficBatch): Promise<TrafficPair[]>;

  /** Resources of a kind that the backend has seen traffic for. */
  seenResources(scope: ListScope): Promise<ResourceRef[]>;

  /** Whether this mesh's metrics are present in the backend (for `--mesh auto`). */
  detect(at: Date): Promise<boolean>;
}
