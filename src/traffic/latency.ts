// Latency distributions given as a few (quantile, ms) points, linearly
// interpolated: the CDF fills histogram buckets, the mean fills `_sum`.

/** [quantile, milliseconds]; the first quantile is 0 (fastest), the last is 1 (slowest). */
export type LatencyPoint = readonly [quantile: number, ms: number];

export interface LatencySpec {
  readonly points: readonly LatencyPoint[];
}

export interface LatencyDistribution {
  readonly points: readonly LatencyPoint[];
  /** P(latency <= ms), in [0, 1], non-decreasing in ms. */
  cdf(ms: number): number;
  readonly meanMs: number;
}

/** Points for a typical service: fastest, p50, p90, p99, slowest. */
export function latencyOf(min: number, p50: number, p90: number, p99: number, max: number): LatencySpec {
  return { points: [[0, min], [0.5, p50], [0.9, p90], [0.99, p99], [1, max]] };
}

export function latencyDistribution(spec: LatencySpec): LatencyDistribution {
  const pts = spec.points;
  if (pts.length < 2 || pts[0]![0] !== 0 || pts[pts.length - 1]![0] !== 1) {
    throw new Error("latency points must start at quantile 0 and end at quantile 1");
  }
  for (let i = 1; i < pts.length; i++) {
    const [q0, ms0] = pts[i - 1]!;
    const [q1, ms1] = pts[i]!;
    // Strictly increasing in both, so the CDF is well defined without point masses.
    if (!(q1 > q0) || !(ms1 > ms0) || !(ms0 >= 0)) throw new Error(`latency points must increase strictly: ${JSON.stringify(pts)}`);
  }
  let mean = 0;
  for (let i = 1; i < pts.length; i++) {
    const [q0, ms0] = pts[i - 1]!;
    const [q1, ms1] = pts[i]!;
    mean += (q1 - q0) * ((ms0 + ms1) / 2);
  }
  const cdf = (ms: number): number => {
    if (ms < pts[0]![1]) return 0;
    if (ms >= pts[pts.length - 1]![1]) return 1;
    for (let i = 1; i < pts.length; i++) {
      const [q1, ms1] = pts[i]!;
      if (ms < ms1) {
        const [q0, ms0] = pts[i - 1]!;
        return q0 + ((q1 - q0) * (ms - ms0)) / (ms1 - ms0);
      }
    }
    return 1;
  };
  return { points: pts, cdf, meanMs: mean };
}

/** One cumulative bucket: observations <= le (le may be Infinity). */
export interface Bucket {
  readonly le: number;
  readonly count: number;
}

/**
 * The quantile Prometheus' histogram_quantile computes from cumulative buckets
 * (linear interpolation inside the bucket holding the rank; the +Inf bucket
 * answers the highest finite bound). NaN when there are no observations.
 */
export function histogramQuantile(q: number, input: readonly Bucket[]): number {
  if (Number.isNaN(q)) return Number.NaN;
  if (q < 0) return Number.NEGATIVE_INFINITY;
  if (q > 1) return Number.POSITIVE_INFINITY;
  const buckets = [...input].sort((a, b) => a.le - b.le);
  if (buckets.length < 2 || buckets[buckets.length - 1]!.le !== Number.POSITIVE_INFINITY) return Number.NaN;
  // Prometheus forces monotonic counts before interpolating.
  let max = Number.NEGATIVE_INFINITY;
  const counts = buckets.map((b) => (max = Math.max(max, b.count)));
  const total = counts[counts.length - 1]!;
  if (total === 0) return Number.NaN;
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
