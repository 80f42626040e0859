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

/** The golden measure of one resource or edge over one window. */
export interface GoldenStats {
  /** Responses counted as success (may be fractional: `increase` extrapolates). */
  readonly success: number;
  readonly failure: number;
  readonly latency: Latency;
}

export const EMPTY_GOLDEN: GoldenStats = { success: 0, failure: 0, latency: NO_LATENCY };

/** The TCP measure: a resource's inbound connections, or an edge's connections, seen from the server. */
export interface TcpStats {
  /** Open at the end of the window; null where the mesh has no gauge for it. */
  readonly openConnections: number | null;
  /** Bytes the server read (what clients sent) and wrote, over the window. */
  readonly readBytes: number;
  readonly writeBytes: number;
  readonly opened: number;
  readonly closed: number;
}

/** The measures meshql reads; a batch asks for some of them (see MeasureName). */
export interface MeasureStats {
  readonly golden: GoldenStats;
  readonly tcp: TcpStats;
}
export type MeasureName = keyof MeasureStats;
export const MEASURE_NAMES: readonly MeasureName[] = ["golden", "tcp"];

/**
 * What an adapter measured for one resource or edge over one window: the
 * measures asked for. A measure is missing where there was no traffic for it.
 */
export type RawStats = Partial<MeasureStats>;

export const EMPTY_STATS: RawStats = {};

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

export function goldenMetrics(raw: GoldenStats, window: Window, timestamp: Date): GoldenMetrics {
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

/** TCP figures over one window, as the API shows them. */
export interface TcpMetrics {
  readonly openConnections: number | null;
  readonly readBytesPerSecond: number;
  readonly writeBytesPerSecond: number;
  readonly connectionsOpened: number;
  readonly connectionsClosed: number;
}

export function tcpMetrics(raw: TcpStats, window: Window): TcpMetrics {
  return {
    openConnections: raw.openConnections,
    readBytesPerSecond: raw.readBytes / window.seconds,
    writeBytesPerSecond: raw.writeBytes / window.seconds,
    connectionsOpened: raw.opened,
    connectionsClosed: raw.closed,
  };
}
