// Counts of several Consul services that map to one resource add up; their
// percentiles cannot be merged without their buckets. The largest of them is
// kept: a mixture's quantile never exceeds its largest component's, so the
// answer is an upper bound, and exact in the usual case of one service per
// workload.

import { NO_LATENCY, QUANTILES, quantileField, type Latency, type RawStats } from "../../domain/metrics.ts";
import type { Sample } from "../../prometheus/client.ts";
import { finiteOrNull, QUANTILE_LABEL, StatsAccumulator } from "../results.ts";

export class MergingAccumulator {
  private readonly counts = new StatsAccumulator();
  private readonly latency = new Map<string, Record<keyof Latency, number | null>>();

  addCount(key: string, success: boolean, value: number): void {
    this.counts.addCount(key, success, value);
  }

  /** A sample of a quantilesQuery answer; the largest value per key and quantile wins. */
  addQuantile(key: string, sample: Sample): void {
    const quantile = QUANTILES.find((q) => q === Number(sample.labels[QUANTILE_LABEL]));
    const value = finiteOrNull(sample.value);
    if (quantile === undefined || value === null) return;
    let l = this.latency.get(key);
    if (!l) this.latency.set(key, (l = { ...NO_LATENCY }));
    const field = quantileField(quantile);
    const current = l[field];
    l[field] = current === null ? value : Math.max(current, value);
  }

  get(key: string): RawStats | undefined {
    const c = this.counts.get(key);
    return c && { success: c.success, failure: c.failure, latency: this.latency.get(key) ?? NO_LATENCY };
  }

  toMap(): Map<string, RawStats> {
    const out = new Map<string, RawStats>();
    for (const key of this.counts.keys()) out.set(key, this.get(key)!);
    return out;
  }
}
