// Quantiles of a cumulative histogram, computed as Prometheus' histogram_quantile
// does, so one evaluation of the bucket rates serves all four percentiles.

/** One cumulative bucket: observations <= le (le may be Infinity). */
export interface Bucket {
  readonly le: number;
  readonly count: number;
}

/**
 * Bucket counts added up per bound, kept sorted by bound as they arrive: a
 * fold adds one bucket sample at a time, with no object per sample and
 * nothing left to sort or coalesce when the quantiles are asked for.
 */
export class BucketCounts {
  private les = new Float64Array(16);
  private counts = new Float64Array(16);
  private n = 0;

  get size(): number {
    return this.n;
  }

  /** Adds count to the bucket of bound le (a NaN bound is left out, as Prometheus leaves it). */
  add(le: number, count: number): void {
    if (Number.isNaN(le)) return;
    const les = this.les;
    let i = this.n;
    // From the top: bounds mostly arrive in a few distinct values, often in order.
    while (i > 0 && les[i - 1]! > le) i--;
    if (i > 0 && les[i - 1] === le) {
      this.counts[i - 1]! += count;
      return;
    }
    if (this.n === les.length) this.grow();
    this.les.copyWithin(i + 1, i, this.n);
    this.counts.copyWithin(i + 1, i, this.n);
    // -0 and 0 are one bound; the bound kept is +0, as a Map key would be.
    this.les[i] = le === 0 ? 0 : le;
    this.counts[i] = count;
    this.n++;
  }

  /** The same bounds with every count passed through f. */
  map(f: (count: number) => number): BucketCounts {
    const out = new BucketCounts();
    out.les = this.les.slice();
    out.counts = this.counts.map(f);
    out.n = this.n;
    return out;
  }

  /**
   * Linear interpolation inside the bucket that holds the rank; a rank in the +Inf
   * bucket answers the highest finite bound. NaN without observations, without a
   * +Inf bucket, or with fewer than two buckets. Counts are forced monotonic first.
   */
  quantiles(qs: readonly number[]): number[] {
    const n = this.n;
    const monotonic = new Float64Array(n);
    let max = Number.NEGATIVE_INFINITY;
    for (let i = 0; i < n; i++) monotonic[i] = max = Math.max(max, this.counts[i]!);
    return qs.map((q) => quantileOf(q, this.les, monotonic, n));
  }

  private grow(): void {
    const les = new Float64Array(this.les.length * 2);
    const counts = new Float64Array(this.counts.length * 2);
    les.set(this.les);
    counts.set(this.counts);
    this.les = les;
    this.counts = counts;
  }
}

export function histogramQuantile(q: number, input: readonly Bucket[]): number {
  return histogramQuantiles([q], input)[0]!;
}

/** Several quantiles of one histogram: its buckets are sorted and coalesced once for all of them. */
export function histogramQuantiles(qs: readonly number[], input: readonly Bucket[]): number[] {
  const buckets = new BucketCounts();
  for (const b of input) buckets.add(b.le, b.count);
  return buckets.quantiles(qs);
}

/** One quantile of the first n sorted, distinct bounds and their monotonic counts. */
function quantileOf(q: number, les: Float64Array, counts: Float64Array, n: number): number {
  if (Number.isNaN(q)) return Number.NaN;
  if (q < 0) return Number.NEGATIVE_INFINITY;
  if (q > 1) return Number.POSITIVE_INFINITY;
  if (n < 2 || les[n - 1] !== Number.POSITIVE_INFINITY) return Number.NaN;
  const total = counts[n - 1]!;
  if (!(total > 0)) return Number.NaN;
  let rank = q * total;
  let b = 0;
  while (b < n - 1 && !(counts[b]! >= rank)) b++;
  if (b === n - 1) return les[n - 2]!;
  if (b === 0 && les[0]! <= 0) return les[0]!;
  let start = 0;
  let count = counts[b]!;
  if (b > 0) {
    start = les[b - 1]!;
    count -= counts[b - 1]!;
    rank -= counts[b - 1]!;
  }
  return start + (les[b]! - start) * (rank / count);
}
