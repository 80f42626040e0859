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
  return {
    points: [
      [0, min],
      [0.5, p50],
      [0.9, p90],
      [0.99, p99],
      [1, max],
    ],
  };
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
