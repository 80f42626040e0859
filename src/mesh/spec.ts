// A mesh spec: everything the Prometheus engine (engine.ts) needs to know
// about one mesh, as data. Which series and filters each measure reads, which
// labels name a resource on each end of a series, the success rule, where
// mTLS comes from, and how series map to resources (direct labels or a
// directory query). Adding a mesh is writing one of these; docs/extending.md.

import type { ResourceKind } from "../domain/kinds.ts";
import type { MeasureName } from "../domain/metrics.ts";
import type { ResourceRef } from "../domain/resource.ts";
import type { Window } from "../domain/window.ts";
import type { Sample } from "../prometheus/client.ts";
import type { Matcher } from "../prometheus/promql.ts";
import type { MeshName } from "./adapter.ts";
import type { WorkloadResolver } from "./infer.ts";
import type { ReadsOf } from "./measures.ts";

export type Labels = Sample["labels"];

/** One metric and the fixed filters that pick the series a read wants. */
export interface Series {
  readonly metric: string;
  readonly filters: readonly Matcher[];
}

export const series = (metric: string, ...filters: Matcher[]): Series => ({ metric, filters });

/**
 * How one end of a series names a resource. `D` is the mesh's directory
 * (null where the labels name the resource directly).
 */
export interface SeriesEnd<D> {
  /** Matchers selecting series whose end may be one of refs: a superset, filtered exactly by refOf. */
  matchers(kind: ResourceKind, refs: readonly ResourceRef[]): Matcher[];
  /** The labels to group by so that refOf can name the resource. */
  group(kind: ResourceKind): string[];
  /**
   * Reads only labels that the view's ends group by (group(kind) of this end or the other):
   * the engine names each distinct tuple of those values once and reuses the answer.
   */
  refOf(kind: ResourceKind, labels: Labels, directory: D | null): ResourceRef | null;
}

/** For each measure, the series of each of its reads; a read the mesh does not record is left out. */
export type MeasureRows = { readonly [M in MeasureName]?: { readonly [R in ReadsOf<M>]?: Series } };

/** One way of looking at series: a resource's own (server) view, or an edge's two ends. */
export interface View<D, Ends extends readonly SeriesEnd<D>[]> {
  readonly ends: Ends;
  readonly rows: MeasureRows;
  /** Kinds this view can express (e.g. no pod-to-pod edges where clients name a service). */
  readonly kinds?: readonly ResourceKind[];
  /** Whether a batch of this kind needs the directory to map series to resources. */
  needsDirectory(kind: ResourceKind): boolean;
}

/** Where an edge's mTLS comes from. */
export type MtlsSource =
  /** A label of the golden counts read, e.g. Linkerd's `tls`. */
  | { readonly from: "counts"; readonly label: string; decide(values: ReadonlySet<string>): boolean | null }
  /** A label of another series, read over the same ends, e.g. Istio's server-reported policy. */
  | { readonly from: "series"; readonly series: Series; readonly label: string; decide(values: ReadonlySet<string>): boolean | null }
  /** Fixed by the mesh, e.g. Consul connect, which is mTLS between sidecars. */
  | { readonly from: "always"; readonly value: boolean };

/** A query listing what the mesh has seen in a period, and how to read resources of a kind from it. */
export interface DirectorySpec<D> {
  query(period: Window, namespace: string | null): string;
  build(samples: readonly Sample[], resolver: WorkloadResolver | null): D;
}

export interface MeshSpec<D = unknown> {
  readonly mesh: MeshName;
  /** Golden success: the labels it needs and the rule. */
  readonly success: { readonly labels: readonly string[]; isSuccess(labels: Labels): boolean };
  readonly mtls: MtlsSource;
  /** A resource's stats: the server's view, one end. */
  readonly resource: View<D, readonly [SeriesEnd<D>]>;
  /** Edges: the client's view, ends [source, destination]. */
  readonly edge: View<D, readonly [SeriesEnd<D>, SeriesEnd<D>]>;
  readonly directory?: DirectorySpec<D>;
  /** Resources of a kind seen in a period. */
  readonly seen: {
    /** only: the resources asked about, which the query may narrow to (a superset answer is fine). */
    query(kind: ResourceKind, period: Window, namespace: string | null, only?: readonly ResourceRef[]): string;
    /**
     * With `only`, where the first answer merely finds candidates: the query whose answer refs()
     * reads, built from it (Consul: the services that a workload's pods serve); null: the first answer is it.
     */
    refine?(
      kind: ResourceKind,
      period: Window,
      only: readonly ResourceRef[],
      first: readonly Sample[],
      resolver: WorkloadResolver | null,
    ): string | null;
    refs(kind: ResourceKind, samples: readonly Sample[], resolver: WorkloadResolver | null): ResourceRef[];
  };
  /** A series whose presence means the backend holds this mesh's metrics. */
  readonly detect: Series;
}
