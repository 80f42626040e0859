// The golden metrics, derived from what an adapter measured.

import type { Window } from "./window.ts";

export const QUANTILES = [0.5, 0.9, 0.95, 0.99] as const;
export type Quantile = (typeof QUANTILES)[number];

/** Latency percentiles in milliseconds; null where there was no traffic. */
export interface Latency {
  readonly p50: number | null;
  readonly p90: number | null;
  readonly p95: number | null;
  readonly p99: number | null;
}

export const NO_LATENCY: Latency = { p50: null, p90: null, p95: null, p99: null };

/** What an adapter measures for one resource or edge over one window. */
export interface RawStats {
  /** Responses counted as success (may be fractional: `increase` extrapolates). */
  readonly success: number;
  readonly failure: number;
  readonly latency: Latency;
}

export const EMPTY_STATS: RawStats = { success: 0, failure: 0, latency: NO_LATENCY };

export interface GoldenMetrics {
  /** End of the window. */
  readonly timestamp: Date;
  readonly window: Window;
  readonly successCount: number;
  readonly failureCount: number;
  readonly requestCount: number;
  readonly requestsPerSecond: number;
  /** null when there were no requests */
  readonly successRate: number | null;
  readonly latency: Latency;
}

export function goldenMetrics(raw: RawStats, window: Window, timestamp: Date): GoldenMetrics {
  const requestCount = raw.success + raw.failure;
  const hasTraffic = requestCount > 0;
  return {
    timestamp,
    window,
    successCount: raw.success,
    failureCount: raw.failure,
    requestCount,
    requestsPerSecond: requestCount / window.seconds,
    successRate: hasTraffic ? raw.success / requestCount : null,
    // A histogram with no observations has no percentiles, whatever the backend said.
    latency: hasTraffic ? raw.latency : NO_LATENCY,
  };
}

export function quantileField(q: Quantile): keyof Latency {
  return `p${Math.round(q * 100)}` as keyof Latency;
}
