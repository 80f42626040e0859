// What a backend holds of one mesh's series, for `meshql check`: how far apart
// their samples are, and which of the labels the engine reads they lack. The
// PromQL lives here, beside the specs it is derived from (meshSeries), so the
// CLI only words the findings.

import type { Window } from "../domain/window.ts";
import { promRange } from "../domain/window.ts";
import type { InstantQuerier } from "../prometheus/client.ts";
import { neq, selector } from "../prometheus/promql.ts";
import type { MeshName } from "./adapter.ts";
import { meshSeries } from "./registry.ts";

export interface SampleSpacing {
  /** The metric measured: the mesh's first golden series. */
  readonly metric: string;
  /** The median seconds between samples, or null when no series spans the lookback (too young to tell). */
  readonly seconds: number | null;
}

/**
 * The median spacing of samples, over series that span the whole lookback
 * (those with samples before it too): younger series would read as sparser.
 */
export async function sampleSpacing(backend: InstantQuerier, mesh: MeshName, lookback: Window, at: Date): Promise<SampleSpacing> {
  const metric = meshSeries(mesh)[0]!.metric;
  const range = promRange(lookback);
  const spanning = `count_over_time(${metric}[${range}]) and count_over_time(${metric}[1m] offset ${range})`;
  // The span runs from the lookback's start to the newest sample, which may be older than `at`.
  const span = `(${lookback.seconds} - (time() - timestamp(${metric})))`;
  const [sample] = await backend.query(`quantile(0.5, ${span} / (${spanning}))`, at);
  return { metric, seconds: sample && Number.isFinite(sample.value) ? sample.value : null };
}

export interface MissingLabels {
  readonly metric: string;
  /** The labels no series of the metric carries (all of them: the metric has no series). */
  readonly labels: readonly string[];
  readonly noSeries: boolean;
}

/** For each of the mesh's golden series lacking labels the engine needs, which ones no series in the lookback carries. */
export async function missingLabels(backend: InstantQuerier, mesh: MeshName, lookback: Window, at: Date): Promise<MissingLabels[]> {
  const out: MissingLabels[] = [];
  for (const { metric, labels } of meshSeries(mesh)) {
    const counts = await Promise.all(
      labels.map(
        async (label) =>
          (await backend.query(`count(last_over_time(${selector(metric, [neq(label, "")])}[${promRange(lookback)}]))`, at))[0]?.value ?? 0,
      ),
    );
    const absent = labels.filter((_, i) => !(counts[i]! > 0));
    if (absent.length > 0) out.push({ metric, labels: absent, noSeries: absent.length === labels.length });
  }
  return out;
}
