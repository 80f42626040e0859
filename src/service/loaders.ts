// Per-request DataLoaders. Every metrics or edges question of one request that
// shares kind, window and moment becomes one adapter call, so a document costs
// a bounded number of backend queries however many resources it touches.

import DataLoader from "dataloader";
import { InvalidInputError } from "../domain/errors.ts";
import type { EdgeDirection, EdgeStats } from "../domain/edges.ts";
import { latencyField, latencyKeySuffix } from "../domain/latency.ts";
import type { ResourceKind } from "../domain/kinds.ts";
import { EMPTY_STATS, type MeasureName, type RawStats } from "../domain/metrics.ts";
import { refKey, type ResourceRef } from "../domain/resource.ts";
import type { Window } from "../domain/window.ts";
import type { TrafficPair } from "../domain/traffic.ts";
import type { MeshAdapter, StatsBatch, TrafficBatch } from "../mesh/adapter.ts";
import { createSeriesLoaders, type SeriesAdapterFactory, type SeriesLoaders } from "./series.ts";

export interface StatsKey {
  readonly ref: ResourceRef;
  readonly window: Window;
  readonly at: Date;
  /** The measure wanted; golden when absent. Keys of one batch that want different measures share its queries. */
  readonly measure?: MeasureName;
  /** false: golden's latency is not wanted, so no bucket query unless another key of its batch wants it. */
  readonly latency?: boolean;
  /** Edges only: the one direction wanted (no query for the other half); absent: both. */
  readonly direction?: EdgeDirection;
}

export interface SeenKey {
  readonly kind: ResourceKind;
  readonly namespace: string | null;
  /** Only whether this one resource was seen (its existence check); absent: the listing. */
  readonly name?: string;
}

const batchKey = (k: StatsKey): string => `${k.ref.kind}|${k.window.seconds}|${k.at.getTime()}|${k.direction ?? ""}`;
const measureOf = (k: StatsKey): MeasureName => k.measure ?? "golden";
const statsKey = (k: StatsKey): string => `${batchKey(k)}|${measureOf(k)}|${refKey(k.ref)}`;
/** A key without latency is another question: its answer must never serve a key that wants latency. */
const cacheKey = (k: StatsKey): string => `${statsKey(k)}${latencyKeySuffix(k)}`;

/** Groups keys into one StatsBatch per kind, window, moment and direction, reading the union of their measures. */
function batches(keys: readonly StatsKey[]): StatsBatch[] {
  interface Group {
    readonly kind: ResourceKind;
    readonly window: Window;
    readonly at: Date;
    readonly direction: EdgeDirection | undefined;
    readonly refs: Map<string, ResourceRef>;
    readonly measures: Set<MeasureName>;
    latency: boolean;
  }
  const groups = new Map<string, Group>();
  for (const k of keys) {
    const id = batchKey(k);
    let g = groups.get(id);
    if (!g) {
      g = { kind: k.ref.kind, window: k.window, at: k.at, direction: k.direction, refs: new Map(), measures: new Set(), latency: false };
      groups.set(id, g);
    }
    g.refs.set(refKey(k.ref), k.ref);
    g.measures.add(measureOf(k));
    g.latency ||= k.latency !== false;
  }
  return [...groups.values()].map((g) => ({
    kind: g.kind,
    window: g.window,
    at: g.at,
    refs: [...g.refs.values()],
    measures: [...g.measures],
    ...(g.direction ? { direction: g.direction } : {}),
    ...latencyField(g.latency),
  }));
}

/**
 * Serves a key from a broader one this request already asked (with latency,
 * or both directions), so that e.g. peers' counts after the resources' full
 * metrics cost no second batch. The service filters edges by direction.
 */
function reusingBroader<V>(loader: DataLoader<StatsKey, V, string>): Pick<DataLoader<StatsKey, V, string>, "load"> {
  const asked = new Set<string>();
  return {
    load(k) {
      const { direction: _, ...bothWays } = k;
      const broader = [k, { ...k, latency: true }, bothWays, { ...bothWays, latency: true }];
      const key = broader.find((b) => asked.has(cacheKey(b))) ?? k;
      asked.add(cacheKey(key));
      return loader.load(key);
    },
  };
}

/**
 * Runs every batch concurrently, each on its own: a batch that fails answers its
 * own keys with its error (DataLoader rejects just those loads), so a timed-out
 * `1h` field never takes a `5m` field beside it down.
 */
async function eachBatchAlone<V>(
  keys: readonly StatsKey[],
  groups: readonly StatsBatch[],
  empty: V,
  run: (batch: StatsBatch) => Promise<(ref: ResourceRef, measure: MeasureName) => V | undefined>,
): Promise<Array<V | Error>> {
  const byKey = new Map<string, V | Error>();
  await Promise.all(
    groups.map(async (b) => {
      const answer = await run(b).catch((e: unknown) => {
        const error = e instanceof Error ? e : new Error(String(e));
        return () => error;
      });
      for (const ref of b.refs) {
        for (const measure of b.measures ?? []) {
          const key = statsKey({ ref, window: b.window, at: b.at, measure, ...(b.direction ? { direction: b.direction } : {}) });
          byKey.set(key, answer(ref, measure) ?? empty);
        }
      }
    }),
  );
  return keys.map((k) => byKey.get(statsKey(k)) ?? empty);
}

// Async resolvers resolve a document's fields over several ticks; a short
// timer keeps them in one batch (the default per-tick scheduler splits it).
const schedule = (cb: () => void): void => void setTimeout(cb, 2);

export interface Loaders {
  readonly stats: Pick<DataLoader<StatsKey, RawStats, string>, "load">;
  readonly edges: Pick<DataLoader<StatsKey, EdgeStats[], string>, "load">;
  readonly seen: DataLoader<SeenKey, ResourceRef[], string>;
  /** Workload traffic of a set of namespaces: one adapter call per distinct key. */
  readonly traffic: DataLoader<TrafficBatch, TrafficPair[], string>;
  /** Time series; null where the deployment cannot answer range questions. */
  readonly series: SeriesLoaders | null;
}

export interface LoaderOptions {
  /** How far back traffic makes a resource "seen". */
  readonly lookback: Window;
  /** The request's moment, for "seen" listings. */
  readonly now: Date;
  /** Most adapter calls for the request: aliases with many windows or deep nesting cost a batch each. */
  readonly maxBatches: number;
  /** Adapters for time series; absent: series are not supported. */
  readonly seriesAdapter?: SeriesAdapterFactory;
}

export function createLoaders(adapter: MeshAdapter, options: LoaderOptions): Loaders {
  const { lookback, now, maxBatches } = options;
  let spent = 0;
  const charge = (batches: number): void => {
    spent += batches;
    if (spent > maxBatches) {
      throw new InvalidInputError(
        "document",
        `this request needs more than ${maxBatches} separate metrics batches (each distinct window, time and kind, at each ` +
          "nesting level, is one): ask for fewer windows or times, or split the document",
      );
    }
  };
  const spend = <T>(groups: T[]): T[] => {
    charge(groups.length);
    return groups;
  };

  const stats = new DataLoader<StatsKey, RawStats, string>(
    async (keys) =>
      eachBatchAlone(keys, spend(batches(keys)), EMPTY_STATS, async (b) => {
        const answer = await adapter.resourceStats(b);
        return (ref) => answer.get(refKey(ref));
      }),
    { cacheKeyFn: cacheKey, batchScheduleFn: schedule },
  );

  const edges = new DataLoader<StatsKey, EdgeStats[], string>(
    async (keys) =>
      eachBatchAlone(keys, spend(batches(keys)), [], async (b) => {
        const byRef = new Map<string, EdgeStats[]>();
        for (const e of await adapter.edges(b)) byRef.set(refKey(e.resource), [...(byRef.get(refKey(e.resource)) ?? []), e]);
        // An edge belongs to the measures that show traffic on it.
        return (ref, measure) => byRef.get(refKey(ref))?.filter((e) => e.stats[measure] !== undefined);
      }),
    { cacheKeyFn: cacheKey, batchScheduleFn: schedule },
  );

  // Listings of several namespaces in one batch become one all-namespace query;
  // a batch of named resources only asks about them (the mesh may narrow its query to them).
  const seen = new DataLoader<SeenKey, ResourceRef[], string>(
    async (keys) => {
      const kinds = new Map<ResourceKind, SeenKey[]>();
      for (const k of keys) kinds.set(k.kind, [...(kinds.get(k.kind) ?? []), k]);
      const perKind = new Map<ResourceKind, ResourceRef[]>();
      await Promise.all(
        [...kinds].map(async ([kind, ks]) => {
          const namespaces = new Set(ks.map((k) => k.namespace));
          const namespace = namespaces.size === 1 ? ks[0]!.namespace : null;
          const named = ks.every((k) => k.name !== undefined);
          const only = named ? ks.map((k): ResourceRef => ({ kind, namespace: k.namespace, name: k.name! })) : undefined;
          perKind.set(kind, await adapter.seenResources({ kind, namespace, at: now, lookback, ...(only ? { only } : {}) }));
        }),
      );
      return keys.map((k) => (perKind.get(k.kind) ?? []).filter((r) => k.namespace === null || r.namespace === k.namespace));
    },
    { cacheKeyFn: (k) => `${k.kind}|${k.namespace ?? ""}|${k.name ?? ""}`, batchScheduleFn: schedule },
  );

  const traffic = new DataLoader<TrafficBatch, TrafficPair[], string>(
    // Each key fails alone: one graph's backend error must not fail another's.
    (keys) =>
      Promise.all(spend([...keys]).map((k) => adapter.traffic(k).catch((e: unknown) => (e instanceof Error ? e : new Error(String(e)))))),
    {
      cacheKeyFn: (k) => `${k.namespaces.join(",")}|${k.window.seconds}|${k.at.getTime()}${latencyKeySuffix(k)}`,
      batchScheduleFn: schedule,
    },
  );

  const series = options.seriesAdapter ? createSeriesLoaders(options.seriesAdapter, charge, schedule) : null;

  return { stats: reusingBroader(stats), edges: reusingBroader(edges), seen, traffic, series };
}
