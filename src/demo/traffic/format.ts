// What a mesh writer produces: metric families whose series values are
// functions of time. Writers are built once per model; serializers
// (openmetrics.ts, exposition.ts) evaluate them at each timestamp.

import type { TrafficModel } from "./model.ts";

export type Labels = Readonly<Record<string, string>>;

export interface ScalarSeries {
  readonly labels: Labels;
  value(t: number): number;
}

export interface HistogramSeries {
  readonly labels: Labels;
  /** Cumulative counts, one per bound of the family, then +Inf (== count). */
  buckets(t: number): readonly number[];
  sum(t: number): number;
}

export interface ScalarFamily {
  readonly type: "counter" | "gauge";
  /** The sample name; a counter's ends in `_total`. */
  readonly name: string;
  readonly help: string;
  readonly series: readonly ScalarSeries[];
}

export interface HistogramFamily {
  readonly type: "histogram";
  /** The base name: samples are `<name>_bucket`, `<name>_count`, `<name>_sum`. */
  readonly name: string;
  readonly help: string;
  /** Finite upper bounds, ascending; +Inf is implied. */
  readonly bounds: readonly number[];
  readonly series: readonly HistogramSeries[];
}

export type MetricFamily = ScalarFamily | HistogramFamily;

/** One mesh's metric vocabulary. Istio and Consul writers implement the same interface. */
export interface MeshFormat {
  readonly name: string;
  /**
   * The writer's module URL (`import.meta.url`). Backfill caches hash this
   * file with the generator's core; without it they hash all of src/demo/traffic.
   */
  readonly source?: string;
  families(model: TrafficModel): MetricFamily[];
}

/**
 * Families of several formats. Families of one name (e.g. process metrics
 * written by two meshes) merge when their type and buckets agree; a series
 * written twice with the same labels is an error, as Prometheus would reject it.
 */
export function allFamilies(model: TrafficModel, formats: readonly MeshFormat[]): MetricFamily[] {
  const byName = new Map<string, MetricFamily>();
  for (const format of formats) {
    for (const family of format.families(model)) {
      if (family.type === "counter" && !family.name.endsWith("_total")) throw new Error(`counter ${family.name} must end in _total`);
      const seen = byName.get(family.name);
      byName.set(family.name, seen ? merge(seen, family) : family);
    }
  }
  const out = [...byName.values()];
  for (const family of out) checkUniqueSeries(family);
  return out;
}

function merge(a: MetricFamily, b: MetricFamily): MetricFamily {
  if (a.type === "histogram" && b.type === "histogram") {
    if (a.bounds.join() !== b.bounds.join()) throw new Error(`histogram ${a.name} is written with two sets of buckets`);
    return { ...a, series: [...a.series, ...b.series] };
  }
  if (a.type !== "histogram" && b.type === a.type) return { ...a, series: [...a.series, ...(b as ScalarFamily).series] };
  throw new Error(`metric family ${a.name} is written as both ${a.type} and ${b.type}`);
}

function checkUniqueSeries(family: MetricFamily): void {
  const keys = new Set<string>();
  for (const s of family.series) {
    const key = renderLabels(Object.fromEntries(Object.entries(s.labels).sort(([x], [y]) => (x < y ? -1 : 1))));
    if (keys.has(key)) throw new Error(`series ${family.name}${key} is written twice`);
    keys.add(key);
  }
}

/** `{a="x",b="y"}` with Prometheus' escaping; "" for no labels. */
export function renderLabels(labels: Labels, extra?: string): string {
  const parts: string[] = [];
  for (const [k, v] of Object.entries(labels)) parts.push(`${k}="${escapeLabelValue(v)}"`);
  if (extra) parts.push(extra);
  return parts.length === 0 ? "" : `{${parts.join(",")}}`;
}

function escapeLabelValue(v: string): string {
  return v.replace(/[\\"\n]/g, (c) => (c === "\n" ? "\\n" : `\\${c}`));
}

/** A bound as Prometheus clients write it in `le`: "5", "0.5", "+Inf". */
export function formatBound(le: number): string {
  return le === Number.POSITIVE_INFINITY ? "+Inf" : String(le);
}

export function formatValue(v: number): string {
  if (Number.isNaN(v)) return "NaN";
  if (v === Number.POSITIVE_INFINITY) return "+Inf";
  if (v === Number.NEGATIVE_INFINITY) return "-Inf";
  return String(v);
}
