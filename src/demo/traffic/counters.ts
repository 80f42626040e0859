// The counters behind every series: pure, monotone functions of absolute unix
// time t (seconds). A counter "started" at the epoch, so its value at t is
// floor(rate * t); histogram buckets take floor(count * CDF(le)), which is
// monotone in both t and le, and the +Inf bucket equals the count.

import type { LatencyDistribution } from "./latency.ts";
import type { Flow } from "./model.ts";

export function countAt(rate: number, t: number): number {
  return Math.floor(rate * t);
}

export function bucketAt(count: number, latency: LatencyDistribution, le: number): number {
  return le === Number.POSITIVE_INFINITY ? count : Math.floor(count * latency.cdf(le));
}

/** Milliseconds summed over all responses: count times the mean keeps `_sum` monotone. */
export function latencySumAt(count: number, latency: LatencyDistribution): number {
  return count * latency.meanMs;
}

export function flowCountAt(flow: Flow, t: number): number {
  return countAt(flow.rate, t);
}

/** Cumulative bucket counts of one flow at t, one per bound, then +Inf. */
export function flowBucketsAt(flow: Flow, bounds: readonly number[], t: number): number[] {
  const count = countAt(flow.rate, t);
  const out = bounds.map((le) => bucketAt(count, flow.edge.latency, le));
  out.push(count);
  return out;
}
