// Shared helpers that turn backend samples into domain stats. Adapters for
// Prometheus-speaking meshes share them; the MeshAdapter interface does not.

import type { Latency, RawStats } from "../domain/metrics.ts";
import { NO_LATENCY, QUANTILES, quantileField } from "../domain/metrics.ts";
import type { Sample } from "../prometheus/client.ts";
import { by } from "../prometheus/promql.ts";

export const QUANTILE_LABEL = "meshql_quantile";

/**
 * One query for all four percentiles of `bucketRates` (an expression of per-bucket
 * rates): each histogram_quantile is tagged with a label and joined with `or`,
 * so a batch costs one round trip instead of four.
 */
export function quantilesQuery(bucketRates: string, groupLabels: readonly string[]): string {
  const buckets = `sum ${by(["le", ...groupLabels])} (${bucketRates})`;
  return QUANTILES.map((q) => `label_replace(histogram_quantile(${q}, ${buckets}), "${QUANTILE_LABEL}", "${q}", "", "")`).join(" or ");
}

/** A finite, non-negative number, or null: NaN (no observations) never leaks out. */
export function finiteOrNull(v: number): number | null {
  return Number.isFinite(v) && v >= 0 ? v : null;
}

export class StatsAccumulator {
  private readonly entries = new Map<string, { success: number; failure: number; latency: Record<keyof Latency, number | null> }>();

  private entry(key: string) {
    let e = this.entries.get(key);
    if (!e) {
      e = { success: 0, failure: 0, latency: { ...NO_LATENCY } };
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

  /** A sample of a quantilesQuery answer. */
  addQuantile(key: string, sample: Sample): void {
    const q = Number(sample.labels[QUANTILE_LABEL]);
    const quantile = QUANTILES.find((x) => x === q);
    if (quantile === undefined) return;
    this.entry(key).latency[quantileField(quantile)] = finiteOrNull(sample.value);
  }

  get(key: string): RawStats | undefined {
    return this.entries.get(key);
  }

  keys(): IterableIterator<string> {
    return this.entries.keys();
  }

  toMap(): Map<string, RawStats> {
    return new Map(this.entries);
  }
}
