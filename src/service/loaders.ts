// Per-request DataLoaders. Every metrics or edges question of one request that
// shares kind, window and moment becomes one adapter call, so a document costs
// a bounded number of backend queries however many resources it touches.

import DataLoader from "dataloader";
import { InvalidInputError } from "../domain/errors.ts";
import type { EdgeStats } from "../domain/edges.ts";
import type { ResourceKind } from "../domain/kinds.ts";
import { EMPTY_STATS, type RawStats } from "../domain/metrics.ts";
import { refKey, type ResourceRef } from "../domain/resource.ts";
import type { Window } from "../domain/window.ts";
import type { MeshAdapter, StatsBatch } from "../mesh/adapter.ts";

export interface StatsKey {
  readonly ref: ResourceRef;
  readonly window: Window;
  readonly at: Date;
}

export interface SeenKey {
  readonly kind: ResourceKind;
  readonly namespace: string | null;
}

const batchKey = (k: StatsKey): string => `${k.ref.kind}|${k.window.seconds}|${k.at.getTime()}`;
const statsKey = (k: StatsKey): string => `${batchKey(k)}|${refKey(k.ref)}`;

/** Groups keys into one StatsBatch per kind, window and moment. */
function batches(keys: readonly StatsKey[]): StatsBatch[] {
  const groups = new Map<string, { kind: ResourceKind; window: Window; at: Date; refs: ResourceRef[] }>();
  for (const k of keys) {
    const id = batchKey(k);
    let g = groups.get(id);
    if (!g) groups.set(id, (g = { kind: k.ref.kind, window: k.window, at: k.at, refs: [] }));
    g.refs.push(k.ref);
  }
  return [...groups.values()];
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
  run: (batch: StatsBatch) => Promise<(ref: ResourceRef) => V | undefined>,
): Promise<Array<V | Error>> {
  const byKey = new Map<string, V | Error>();
  await Promise.all(
    groups.map(async (b) => {
      const answer = await run(b).catch((e: unknown) => {
        const error = e instanceof Error ? e : new Error(String(e));
        return () => error;
      });
      for (const ref of b.refs) byKey.set(statsKey({ ref, window: b.window, at: b.at }), answer(ref) ?? empty);
    }),
  );
  return keys.map((k) => byKey.get(statsKey(k)) ?? empty);
}

// Async resolvers resolve a document's fields over several ticks; a short
// timer keeps them in one batch (the default per-tick scheduler splits it).
const schedule = (cb: () => void): void => void setTimeout(cb, 2);

export interface Loaders {
  readonly stats: DataLoader<StatsKey, RawStats, string>;
  readonly edges: DataLoader<StatsKey, EdgeStats[], string>;
  readonly seen: DataLoader<SeenKey, ResourceRef[], string>;
}

export interface LoaderOptions {
  /** How far back traffic makes a resource "seen". */
  readonly lookback: Window;
  /** The request's moment, for "seen" listings. */
  readonly now: Date;
  /** Most adapter calls for the request: aliases with many windows or deep nesting cost a batch each. */
  readonly maxBatches: number;
}

export function createLoaders(adapter: MeshAdapter, options: LoaderOptions): Loaders {
  const { lookback, now, maxBatches } = options;
  let spent = 0;
  const spend = <T>(groups: T[]): T[] => {
    spent += groups.length;
    if (spent > maxBatches) {
      throw new InvalidInputError(
        "document",
        `this request needs more than ${maxBatches} separate metrics batches (each distinct window, time and kind, at each nesting level, is one): ask for fewer windows or times, or split the document`,
      );
    }
    return groups;
  };

  const stats = new DataLoader<StatsKey, RawStats, string>(
    async (keys) =>
      eachBatchAlone(keys, spend(batches(keys)), EMPTY_STATS, async (b) => {
        const answer = await adapter.resourceStats(b);
        return (ref) => answer.get(refKey(ref));
      }),
    { cacheKeyFn: statsKey, batchScheduleFn: schedule },
  );

  const edges = new DataLoader<StatsKey, EdgeStats[], string>(
    async (keys) =>
      eachBatchAlone(keys, spend(batches(keys)), [], async (b) => {
        const byRef = new Map<string, EdgeStats[]>();
        for (const e of await adapter.edges(b)) byRef.set(refKey(e.resource), [...(byRef.get(refKey(e.resource)) ?? []), e]);
        return (ref) => byRef.get(refKey(ref));
      }),
    { cacheKeyFn: statsKey, batchScheduleFn: schedule },
  );

  // Listings of several namespaces in one batch become one all-namespace query.
  const seen = new DataLoader<SeenKey, ResourceRef[], string>(
    async (keys) => {
      const kinds = new Map<ResourceKind, SeenKey[]>();
      for (const k of keys) kinds.set(k.kind, [...(kinds.get(k.kind) ?? []), k]);
      const perKind = new Map<ResourceKind, ResourceRef[]>();
      await Promise.all(
        [...kinds].map(async ([kind, ks]) => {
          const namespaces = new Set(ks.map((k) => k.namespace));
          const namespace = namespaces.size === 1 ? ks[0]!.namespace : null;
          perKind.set(kind, await adapter.seenResources({ kind, namespace, at: now, lookback }));
        }),
      );
      return keys.map((k) => (perKind.get(k.kind) ?? []).filter((r) => k.namespace === null || r.namespace === k.namespace));
    },
    { cacheKeyFn: (k) => `${k.kind}|${k.namespace ?? ""}`, batchScheduleFn: schedule },
  );

  return { stats, edges, seen };
}
