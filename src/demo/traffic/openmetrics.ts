// Deterministic history as OpenMetrics text for
// `promtool tsdb create-blocks-from openmetrics`: family by family (promtool
// rejects interleaved families), series by series, timestamps ascending,
// streamed to a file in large chunks; optionally split into several files that
// promtool backfills in parallel.

import { open } from "node:fs/promises";
import { allFamilies, formatBound, formatValue, renderLabels, type MeshFormat, type MetricFamily } from "./format.ts";
import type { TrafficModel } from "./model.ts";

export interface HistoryRange {
  /** Unix seconds, whole numbers; end - start must be a multiple of step. */
  readonly start: number;
  readonly end: number;
  readonly step: number;
}

export interface WriteStats {
  readonly bytes: number;
  readonly samples: number;
  readonly series: number;
  readonly families: number;
}

/** The sample timestamps of a range: start, start + step, ..., end. */
export function timestamps(range: HistoryRange): number[] {
  const { start, end, step } = range;
  if (![start, end, step].every(Number.isSafeInteger) || step <= 0 || end < start) {
    throw new Error(`bad history range ${JSON.stringify(range)}: whole seconds, step > 0, start <= end`);
  }
  if ((end - start) % step !== 0) throw new Error(`history range: end - start (${end - start}s) is not a multiple of step ${step}s`);
  const out: number[] = [];
  for (let t = start; t <= end; t += step) out.push(t);
  return out;
}

export async function writeOpenMetrics(
  path: string,
  model: TrafficModel,
  formats: readonly MeshFormat[],
  range: HistoryRange,
): Promise<WriteStats> {
  return writeFamilies(path, allFamilies(model, formats), timestamps(range));
}

/**
 * The same history split into files of at most `seriesPerFile` series, each a
 * valid OpenMetrics file holding a contiguous slice of the series, so several
 * promtool processes can backfill them at once. `onFile` is awaited after each
 * file is complete (e.g. to start promtool on it while the next one is written).
 */
export async function writeOpenMetricsShards(
  pathOf: (index: number) => string,
  seriesPerFile: number,
  model: TrafficModel,
  formats: readonly MeshFormat[],
  range: HistoryRange,
  onFile: (path: string, stats: WriteStats) => Promise<void>,
): Promise<WriteStats> {
  const families = allFamilies(model, formats);
  const ts = timestamps(range);
  const total = families.reduce((n, f) => n + f.series.length, 0);
  const per = Math.max(1, seriesPerFile);
  let bytes = 0;
  let samples = 0;
  let series = 0;
  for (let i = 0, from = 0; from < total; i++, from += per) {
    const shard = sliceSeries(families, from, from + per);
    const path = pathOf(i);
    const written = await writeFamilies(path, shard, ts);
    bytes += written.bytes;
    samples += written.samples;
    series += written.series;
    await onFile(path, written);
  }
  return { bytes, samples, series, families: families.length };
}

/** Series [from, to) of the families taken in order, families without any left dropped. */
function sliceSeries(families: readonly MetricFamily[], from: number, to: number): MetricFamily[] {
  const out: MetricFamily[] = [];
  let offset = 0;
  for (const f of families) {
    const start = Math.max(0, from - offset);
    const end = Math.min(f.series.length, to - offset);
    offset += f.series.length;
    if (start >= end) continue;
    // The spread keeps the family's own kind; TypeScript cannot see that through the union.
    out.push({ ...f, series: f.series.slice(start, end) } as MetricFamily);
  }
  return out;
}
const CHUNK = 4 * 1024 * 1024;

async function writeFamilies(path: string, families: readonly MetricFamily[], ts: readonly number[]): Promise<WriteStats> {
  const file = await open(path, "w");
  let buf = "";
  let bytes = 0;
  let samples = 0;
  let series = 0;
  const flush = async (force = false) => {
    if (buf.length < CHUNK && !force) return;
    const data = Buffer.from(buf, "utf8");
    bytes += data.length;
    buf = "";
    await file.write(data);
  };
  try {
    for (const family of families) {
      // OpenMetrics names a counter family without its `_total` suffix.
      const familyName = family.type === "counter" ? family.name.slice(0, -"_total".length) : family.name;
      buf += `# HELP ${familyName} ${family.help.replace(/\\/g, "\\\\").replace(/\n/g, "\\n")}\n# TYPE ${familyName} ${family.type}\n`;
      if (family.type === "histogram") {
        for (const s of family.series) {
          series += family.bounds.length + 3;
          const bucketPrefixes = [...family.bounds, Number.POSITIVE_INFINITY].map(
            (le) => `${family.name}_bucket${renderLabels(s.labels, `le="${formatBound(le)}"`)} `,
          );
          const labels = renderLabels(s.labels);
          const countPrefix = `${family.name}_count${labels} `;
          const sumPrefix = `${family.name}_sum${labels} `;
          for (const t of ts) {
            const b = s.buckets(t);
            for (let i = 0; i < bucketPrefixes.length; i++) buf += `${bucketPrefixes[i]}${b[i]} ${t}\n`;
            buf += `${countPrefix}${b[b.length - 1]} ${t}\n${sumPrefix}${formatValue(s.sum(t))} ${t}\n`;
            samples += bucketPrefixes.length + 2;
            await flush();
          }
        }
      } else {
        for (const s of family.series) {
          series++;
          const prefix = `${family.name}${renderLabels(s.labels)} `;
          for (const t of ts) buf += `${prefix}${formatValue(s.value(t))} ${t}\n`;
          samples += ts.length;
          await flush();
        }
      }
    }
    buf += "# EOF\n";
    await flush(true);
  } finally {
    await file.close();
  }
  return { bytes, samples, series, families: families.length };
}
