// Shared helpers that turn backend samples into domain stats. Adapters for
// Prometheus-speaking meshes share them; the MeshAdapter interface does not.

import type { EdgeStats } from "../domain/edges.ts";
import { type Bucket, histogramQuantile } from "../domain/histogram.ts";
import type { Latency, RawStats } from "../domain/metrics.ts";
import { NO_LATENCY, QUANTILES, quantileField } from "../domain/metrics.ts";
import { refKey, type ResourceRef } from "../domain/resource.ts";
import type { Sample } from "../prometheus/client.ts";
import { by } from "../prometheus/promql.ts";

/**
 * Per-bucket rates summed by group: one evaluation serves all four percentiles,
 * which StatsAccumulator computes as histogram_quantile does. Asking Prometheus
 * for four histogram_quantiles would make it read every bucket series four times.
 */
export function bucketRatesQuery(bucketRates: string, groupLabels: readonly string[]): string {
  return `sum ${by(["le", ...groupLabels])} (${bucketRates})`;
}

/** A finite, non-negative number, or null: NaN (no observations) never leaks out. */
export function finiteOrNull(v: number): number | null {
  return Number.isFinite(v) && v >= 0 ? v : null;
}

interface Entry {
  success: number;
  failure: number;
  /** Bucket rates by bound, summed over every sample of the key. */
  readonly buckets: Map<number, number>;
}

export class StatsAccumulator {
  private readonly entries = new Map<string, Entry>();

  private entry(key: string): Entry {
    let e = this.entries.get(key);
    if (!e) {
      e = { success: 0, failure: 0, buckets: new Map() };
      this.entries.set(key, e);
    }
    return e;
  }

  addCount(key: string, success: boolean, value: number): void {
    if (!Number.isFinite(value) || value <= 0) return;
    const e = this.entry(key);
    if (success) e.success += value;
    else e.failure += value;
  }

  /** A sample of a bucketRatesQuery answer. Samples of one key add up, so groups may be merged. */
  addBucket(key: string, sample: Sample): void {
    const le = parseBound(sample.labels.le);
    if (le === null || !Number.isFinite(sample.value)) return;
    const buckets = this.entry(key).buckets;
    buckets.set(le, (buckets.get(le) ?? 0) + sample.value);
  }

  get(key: string): RawStats | undefined {
    const e = this.entries.get(key);
    return e && { success: e.success, failure: e.failure, latency: latencyOf(e) };
  }


  toMap(): Map<string, RawStats> {
    return new Map([...this.entries.keys()].map((k) => [k, this.get(k)!]));
  }
}

function latencyOf(e: Entry): Latency {
  if (e.buckets.size === 0) return NO_LATENCY;
  const buckets: Bucket[] = [...e.buckets].map(([le, count]) => ({ le, count }));
  const latency = { ...NO_LATENCY };
  for (const q of QUANTILES) latency[quantileField(q)] = finiteOrNull(histogramQuantile(q, buckets));
  return latency;
}

function parseBound(le: string | undefined): number | null {
  if (le === undefined) return null;
  if (le === "+Inf") return Number.POSITIVE_INFINITY;
  const n = Number(le);
  return le.trim() === "" || Number.isNaN(n) ? null : n;
}

/**
 * One accumulator from a counts answer and a bucket-rates answer, keyed by
 * keyOf (null: a series nobody asked about).
 */
export function accumulate(
  counts: readonly Sample[],
  buckets: readonly Sample[],
  keyOf: (s: Sample) => string | null,
  isSuccess: (s: Sample) => boolean,
): StatsAccumulator {
  const acc = new StatsAccumulator();
  for (const s of counts) {
    const key = keyOf(s);
    if (key) acc.addCount(key, isSuccess(s), s.value);
  }
  for (const s of buckets) {
    const key = keyOf(s);
    if (key) acc.addBucket(key, s);
  }
  return acc;
}

/** Traffic from one resource to another, as a client's sidecar saw it. */
export interface EdgePair {
  readonly from: ResourceRef;
  readonly to: ResourceRef;
  readonly mtls: boolean | null;
}

/** Each pair with traffic as a TO edge of its source and a FROM edge of its destination, for the refs asked about. */
export function edgesOfPairs(pairs: ReadonlyMap<string, EdgePair>, acc: StatsAccumulator, refs: readonly ResourceRef[]): EdgeStats[] {
  const wanted = new Set(refs.map(refKey));
  const out: EdgeStats[] = [];
  for (const [key, { from, to, mtls }] of pairs) {
    const stats = acc.get(key);
    if (!stats || stats.success + stats.failure <= 0) continue;
    if (wanted.has(refKey(from))) out.push({ direction: "TO", resource: from, peer: to, stats, mtls });
    if (wanted.has(refKey(to))) out.push({ direction: "FROM", resource: to, peer: from, stats, mtls });
  }
  return out;
}

/** Keys a sample by the resource it names, or null when that resource was not asked about. */
export function keyOfWanted(refs: readonly ResourceRef[], refOf: (s: Sample) => ResourceRef | null): (s: Sample) => string | null {
  const wanted = new Set(refs.map(refKey));
  return (s) => {
    const ref = refOf(s);
    const key = ref && refKey(ref);
    return key && wanted.has(key) ? key : null;
  };
}
