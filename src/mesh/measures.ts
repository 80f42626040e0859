// Measures as data: what each reads and how its samples fold into one
// resource's or edge's stats. The engine (engine.ts) turns a measure's reads
// into PromQL with the series a mesh spec (spec.ts) names for them.
// Adding a measure: a definition here, a type in domain/metrics.ts, and a row
// per mesh spec; docs/extending.md.

import { BucketCounts } from "../domain/histogram.ts";
import type { GoldenStats, Latency, MeasureName, MeasureStats, TcpStats } from "../domain/metrics.ts";
import { NO_LATENCY, QUANTILES, quantileField } from "../domain/metrics.ts";
import type { Sample } from "../prometheus/client.ts";
import type { Labels } from "./spec.ts";

/**
 * How a read is queried over a window: the counter's `increase`, the bucket
 * rates of a histogram (grouped by `le`: one evaluation serves every
 * percentile), or a gauge's value at the window's end.
 */
export type ReadKind = "increase" | "buckets" | "gauge";

/** What a fold may ask of the mesh. */
export interface FoldContext {
  isSuccess(labels: Labels): boolean;
  /** Whether the mesh records this read of the measure. */
  records(read: string): boolean;
}

export interface Folder<S> {
  add(read: string, sample: Sample): void;
  result(): S;
}

export interface Measure<S, R extends string> {
  readonly reads: { readonly [K in R]: ReadKind };
  /**
   * How reads are grouped into queries: the reads of one group share one
   * query (tagged apart), so a measure costs one query per group.
   */
  readonly queries: readonly (readonly R[])[];
  /** The read whose query also groups by the success rule's labels (and an edge's mTLS label). */
  readonly classified?: R;
  fold(ctx: FoldContext): Folder<S>;
  /** Whether the stats show any traffic (an edge without any is no edge). */
  active(stats: S): boolean;
}

const golden: Measure<GoldenStats, "counts" | "latency"> = {
  reads: { counts: "increase", latency: "buckets" },
  queries: [["counts"], ["latency"]],
  classified: "counts",
  fold(ctx) {
    let success = 0;
    let failure = 0;
    const buckets = new BucketCounts();
    return {
      add(read, s) {
        if (read === "counts") {
          if (!Number.isFinite(s.value) || s.value <= 0) return;
          if (ctx.isSuccess(s.labels)) success += s.value;
          else failure += s.value;
          return;
        }
        // Bucket samples of one key add up, so groups (both ends of an edge query) may be merged.
        const le = parseBound(s.labels.le);
        if (le !== null && Number.isFinite(s.value)) buckets.add(le, s.value);
      },
      result: () => ({ success, failure, latency: latencyOf(buckets) }),
    };
  },
  active: (s) => s.success + s.failure > 0,
};

const tcp: Measure<TcpStats, "open" | "read" | "write" | "opened" | "closed"> = {
  reads: { open: "gauge", read: "increase", write: "increase", opened: "increase", closed: "increase" },
  queries: [["open", "read", "write", "opened", "closed"]],
  fold(ctx) {
    const sums: Record<string, number> = { open: 0, read: 0, write: 0, opened: 0, closed: 0 };
    return {
      add(read, s) {
        if (Number.isFinite(s.value) && s.value > 0 && read in sums) sums[read]! += s.value;
      },
      result: () => ({
        openConnections: ctx.records("open") ? sums.open! : null,
        readBytes: sums.read!,
        writeBytes: sums.write!,
        opened: sums.opened!,
        closed: sums.closed!,
      }),
    };
  },
  active: (s) => s.readBytes + s.writeBytes + s.opened + s.closed + (s.openConnections ?? 0) > 0,
};

/**
 * What a destination received beyond what its known callers sent: golden
 * samples added (+1) and subtracted (-1), per count class and per latency
 * bucket. Counts of client and server sidecars differ a little on live data
 * (they are scraped at different moments), so a residual of at most
 * RESIDUAL_FLOOR requests, or RESIDUAL_SHARE of what the destination received,
 * is read as that skew rather than as a caller.
 */
export class GoldenResidual {
  static readonly RESIDUAL_FLOOR = 0.5;
  static readonly RESIDUAL_SHARE = 0.001;
  private success = 0;
  private failure = 0;
  private received = 0;
  private readonly buckets = new BucketCounts();

  constructor(private readonly isSuccess: (labels: Labels) => boolean) {}

  add(read: string, s: Sample, sign: 1 | -1): void {
    if (!Number.isFinite(s.value)) return;
    if (read === "counts") {
      if (sign > 0) this.received += s.value;
      if (this.isSuccess(s.labels)) this.success += sign * s.value;
      else this.failure += sign * s.value;
      return;
    }
    const le = parseBound(s.labels.le);
    if (le !== null) this.buckets.add(le, sign * s.value);
  }

  /** The unknown callers' golden stats, or null when what is left is skew. */
  result(): GoldenStats | null {
    const success = Math.max(0, this.success);
    const failure = Math.max(0, this.failure);
    if (success + failure <= Math.max(GoldenResidual.RESIDUAL_FLOOR, GoldenResidual.RESIDUAL_SHARE * this.received)) return null;
    return { success, failure, latency: latencyOf(this.buckets.map((v) => Math.max(0, v))) };
  }
}

export const MEASURES: { readonly [M in MeasureName]: Measure<MeasureStats[M], ReadsOf<M>> } = { golden, tcp };

/** The reads of each measure, by name. */
export type ReadsOf<M extends MeasureName> = M extends "golden"
  ? "counts" | "latency"
  : M extends "tcp"
    ? "open" | "read" | "write" | "opened" | "closed"
    : never;

/** A finite, non-negative number, or null: NaN (no observations) never leaks out. */
export function finiteOrNull(v: number): number | null {
  return Number.isFinite(v) && v >= 0 ? v : null;
}

function latencyOf(buckets: BucketCounts): Latency {
  if (buckets.size === 0) return NO_LATENCY;
  const latency = { ...NO_LATENCY };
  const values = buckets.quantiles(QUANTILES);
  for (const [i, q] of QUANTILES.entries()) latency[quantileField(q)] = finiteOrNull(values[i]!);
  return latency;
}

/** Bounds by their text: a histogram has a few bounds, repeated on every one of its samples. */
const BOUNDS = new Map<string, number | null>();
const MAX_BOUNDS = 1024;

function parseBound(le: string | undefined): number | null {
  if (le === undefined) return null;
  let n = BOUNDS.get(le);
  if (n === undefined) {
    if (BOUNDS.size >= MAX_BOUNDS) BOUNDS.clear();
    const parsed = le === "+Inf" ? Number.POSITIVE_INFINITY : Number(le);
    BOUNDS.set(le, (n = le.trim() === "" || Number.isNaN(parsed) ? null : parsed));
  }
  return n;
}
