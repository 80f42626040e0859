// Batched time series. A series batch asks an adapter the instant questions of
// every step of one range; the adapter is built on a querier that answers
// each step from one range query per PromQL text, so a batch costs the
// backend what one instant question costs, whatever the number of steps.

import DataLoader from "dataloader";
import type { EdgeStats } from "../domain/edges.ts";
import { latencyField, latencyKeySuffix } from "../domain/latency.ts";
import type { ResourceKind } from "../domain/kinds.ts";
import { EMPTY_STATS, type RawStats } from "../domain/metrics.ts";
import { refKey, type ResourceRef } from "../domain/resource.ts";
import type { SeriesSteps } from "../domain/series.ts";
import type { TrafficPair } from "../domain/traffic.ts";
import type { MeshAdapter, StatsBatch } from "../mesh/adapter.ts";

/** An adapter whose instant questions at the steps of `steps` are answered by range queries. */
export type SeriesAdapterFactory = (steps: SeriesSteps) => MeshAdapter;

/** One point of a series: the raw stats over the window ending at `at`. */
export interface SeriesPoint<T> {
  readonly at: Date;
  readonly value: T;
}

export interface SeriesKey {
  readonly ref: ResourceRef;
  readonly steps: SeriesSteps;
  /** false: latency is not wanted, so no bucket query unless another key of its group wants it. */
  readonly latency?: boolean;
}

export interface TrafficSeriesKey {
  readonly namespaces: readonly string[];
  readonly steps: SeriesSteps;
  /** false: the pairs' latency is not wanted (no bucket query). */
  readonly latency?: boolean;
}

export interface SeriesLoaders {
  readonly stats: DataLoader<SeriesKey, SeriesPoint<RawStats>[], string>;
  readonly edges: DataLoader<SeriesKey, SeriesPoint<EdgeStats[]>[], string>;
  readonly traffic: DataLoader<TrafficSeriesKey, SeriesPoint<TrafficPair[]>[], string>;
}

export const stepsKey = (s: SeriesSteps): string => `${s.window.seconds}|${s.start.getTime()}|${s.end.getTime()}|${s.stepSeconds}`;
const batchKey = (k: SeriesKey): string => `${k.ref.kind}|${stepsKey(k.steps)}`;
const seriesKey = (k: SeriesKey): string => `${batchKey(k)}|${refKey(k.ref)}${latencyKeySuffix(k)}`;

const times = (s: SeriesSteps): Date[] => Array.from({ length: s.count }, (_, i) => new Date(s.start.getTime() + i * s.stepSeconds * 1000));

/**
 * The steps at which the backend holds any of the mesh's metrics, each with
 * `answer(at)`: a step before the backend has data is left out, not zero.
 */
async function perStep<T>(adapter: MeshAdapter, steps: SeriesSteps, answer: (at: Date) => Promise<T>): Promise<SeriesPoint<T>[]> {
  const points = await Promise.all(
    times(steps).map(async (at): Promise<SeriesPoint<T> | null> => {
      const [present, value] = await Promise.all([adapter.detect(at), answer(at)]);
      return present ? { at, value } : null;
    }),
  );
  return points.filter((p) => p !== null);
}

interface Group {
  readonly kind: ResourceKind;
  readonly steps: SeriesSteps;
  readonly refs: ResourceRef[];
  readonly keys: Set<string>;
  /** Whether any key of the group wants latency. */
  latency: boolean;
}

function groups(keys: readonly SeriesKey[]): Group[] {
  const out = new Map<string, Group>();
  for (const k of keys) {
    const id = batchKey(k);
    let g = out.get(id);
    if (!g) out.set(id, (g = { kind: k.ref.kind, steps: k.steps, refs: [], keys: new Set(), latency: false }));
    // The same ref may come twice: with and without latency.
    if (!g.keys.has(refKey(k.ref))) g.refs.push(k.ref);
    g.keys.add(refKey(k.ref));
    g.latency ||= k.latency !== false;
  }
  return [...out.values()];
}

/** Each group fails alone, and with it only its own keys. */
async function perGroup<V>(
  keys: readonly SeriesKey[],
  spend: (n: number) => void,
  answer: (g: Group) => Promise<Map<string, V>>,
  fallback: V,
): Promise<(V | Error)[]> {
  const gs = groups(keys);
  spend(gs.length);
  const answers = new Map<string, Map<string, V> | Error>();
  await Promise.all(
    gs.map(async (g) => {
      const id = `${g.kind}|${stepsKey(g.steps)}`;
      answers.set(id, await answer(g).catch((e: unknown) => (e instanceof Error ? e : new Error(String(e)))));
    }),
  );
  return keys.map((k) => {
    const a = answers.get(batchKey(k))!;
    return a instanceof Error ? a : (a.get(refKey(k.ref)) ?? fallback);
  });
}

export function createSeriesLoaders(
  factory: SeriesAdapterFactory,
  spend: (n: number) => void,
  schedule: (cb: () => void) => void,
): SeriesLoaders {
  // One adapter per range in a request: its range answers serve every loader (the presence check too).
  const adapters = new Map<string, MeshAdapter>();
  const adapterFor = (steps: SeriesSteps): MeshAdapter => {
    const key = stepsKey(steps);
    let adapter = adapters.get(key);
    if (!adapter) adapters.set(key, (adapter = factory(steps)));
    return adapter;
  };

  /** A loader of per-resource series: one adapter question per step of each group, its answer picked apart per ref. */
  const perResource = <A, V>(ask: (adapter: MeshAdapter, batch: StatsBatch) => Promise<A>, pick: (answer: A, ref: ResourceRef) => V) =>
    new DataLoader<SeriesKey, SeriesPoint<V>[], string>(
      (keys) =>
        perGroup(
          keys,
          spend,
          async (g) => {
            const adapter = adapterFor(g.steps);
            const points = await perStep(adapter, g.steps, (at) =>
              ask(adapter, { kind: g.kind, refs: g.refs, window: g.steps.window, at, ...latencyField(g.latency) }),
            );
            return new Map(g.refs.map((r) => [refKey(r), points.map((p) => ({ at: p.at, value: pick(p.value, r) }))]));
          },
          [],
        ),
      { cacheKeyFn: seriesKey, batchScheduleFn: schedule },
    );
  const stats = perResource(
    (adapter, batch) => adapter.resourceStats(batch),
    (answer, ref): RawStats => answer.get(refKey(ref)) ?? EMPTY_STATS,
  );
  const edges = perResource(
    (adapter, batch) => adapter.edges(batch),
    (answer, ref) => answer.filter((e) => refKey(e.resource) === refKey(ref)),
  );

  const traffic = new DataLoader<TrafficSeriesKey, SeriesPoint<TrafficPair[]>[], string>(
    (keys) => {
      spend(keys.length);
      return Promise.all(
        keys.map((k) => {
          const adapter = adapterFor(k.steps);
          return perStep(adapter, k.steps, (at) =>
            adapter.traffic({ namespaces: k.namespaces, window: k.steps.window, at, ...latencyField(k.latency !== false) }),
          ).catch((e: unknown) => (e instanceof Error ? e : new Error(String(e))));
        }),
      );
    },
    { cacheKeyFn: (k) => `${k.namespaces.join(",")}|${stepsKey(k.steps)}${latencyKeySuffix(k)}`, batchScheduleFn: schedule },
  );

  return { stats, edges, traffic };
}
