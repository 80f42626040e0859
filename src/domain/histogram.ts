// Quantiles of a cumulative histogram, computed as Prometheus' histogram_quantile
// does, so one evaluation of the bucket rates serves all four percentiles.

/** One cumulative bucket: observations <= le (le may be Infinity). */
export interface Bucket {
  readonly le: number;
  readonly count: number;
}

/**
 * Linear interpolation inside the bucket that holds the rank; a rank in the +Inf
 * bucket answers the highest finite bound. NaN without observations, without a
 * +Inf bucket, or with fewer than two buckets. Counts are forced monotonic first.
 */
export function histogramQuantile(q: number, input: readonly Bucket[]): number {
  return histogramQuantiles([q], input)[0]!;
}

/** Several quantiles of one histogram: its buckets are sorted and coalesced once for all of them. */
export function histogramQuantiles(qs: readonly number[], input: readonly Bucket[]): number[] {
  const buckets = coalesce(input);
  let max = Number.NEGATIVE_INFINITY;
  const counts = buckets.map((b) => (max = Math.max(max, b.count)));
  return qs.map((q) => quantileOf(q, buckets, counts));
}

/** One quantile of sorted, coalesced buckets and their monotonic counts. */
function quantileOf(q: number, buckets: readonly Bucket[], counts: readonly number[]): number {
  if (Number.isNaN(q)) return Number.NaN;
  if (q < 0) return Number.NEGATIVE_INFINITY;
  if (q > 1) return Number.POSITIVE_INFINITY;
  if (buckets.length < 2 || buckets[buckets.length - 1]!.le !== Number.POSITIVE_INFINITY) return Number.NaN;
  const total = counts[counts.length - 1]!;
  if (!(total > 0)) return Number.NaN;
  let rank = q * total;
  let b = counts.findIndex((c, i) => i < counts.length - 1 && c >= rank);
  if (b === -1) b = counts.length - 1;
  if (b === counts.length - 1) return buckets[buckets.length - 2]!.le;
  if (b === 0 && buckets[0]!.le <= 0) return buckets[0]!.le;
  let start = 0;
  let count = counts[b]!;
  if (b > 0) {
    start = buckets[b - 1]!.le;
    count -= counts[b - 1]!;
    rank -= counts[b - 1]!;
  }
  return start + (buckets[b]!.le - start) * (rank / count);
}

/** Sorted by bound, with buckets of equal bound (e.g. "1" and "1.0") added up. */
function coalesce(input: readonly Bucket[]): Bucket[] {
  const byLe = new Map<number, number>();
  for (const b of input) if (!Number.isNaN(b.le)) byLe.set(b.le, (byLe.get(b.le) ?? 0) + b.count);
  return [...byLe].sort((a, b) => a[0] - b[0]).map(([le, count]) => ({ le, count }));
}
