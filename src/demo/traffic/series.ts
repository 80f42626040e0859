// Series the mesh writers build the same way whatever their vocabulary: the
// model's flows grouped by the labels a mesh gives them, turned into counters
// and latency histograms, and the constant or process series of pods the
// model does not know (control planes, servers) that make the data realistic.

import { bucketAt, countAt, latencySumAt } from "./counters.ts";
import type { HistogramSeries, Labels, MetricFamily, ScalarSeries } from "./format.ts";
import type { Connections, Flow } from "./model.ts";

export interface FlowGroup {
  readonly labels: Labels;
  readonly flows: Flow[];
}

/** Items (flows, connections) that land in the same series (same labels) share one, as a sidecar's counters would. */
function groupByLabels<T>(items: readonly T[], labelsOf: (item: T) => Labels): Array<{ labels: Labels; items: T[] }> {
  const groups = new Map<string, { labels: Labels; items: T[] }>();
  for (const item of items) {
    const labels = labelsOf(item);
    const key = JSON.stringify(Object.entries(labels).sort(([a], [b]) => (a < b ? -1 : 1)));
    let g = groups.get(key);
    if (!g) groups.set(key, (g = { labels, items: [] }));
    g.items.push(item);
  }
  return [...groups.values()];
}

export function groupFlows(flows: readonly Flow[], labelsOf: (f: Flow) => Labels): FlowGroup[] {
  return groupByLabels(flows, labelsOf).map((g) => ({ labels: g.labels, flows: g.items }));
}

/** A counter of the group's responses. */
export function flowCounter(g: FlowGroup): ScalarSeries {
  const flows = g.flows;
  return {
    labels: g.labels,
    value(t) {
      let n = 0;
      for (const f of flows) n += countAt(f.rate, t);
      return n;
    },
  };
}

/** The group's latency histogram over `bounds` (ms). */
export function flowHistogram(g: FlowGroup, bounds: readonly number[]): HistogramSeries {
  const flows = g.flows;
  return {
    labels: g.labels,
    buckets(t) {
      const out = new Array<number>(bounds.length + 1).fill(0);
      for (const f of flows) {
        const count = countAt(f.rate, t);
        for (let i = 0; i < bounds.length; i++) out[i]! += bucketAt(count, f.edge.latency, bounds[i]!);
        out[bounds.length]! += count;
      }
      return out;
    },
    sum(t) {
      let s = 0;
      for (const f of flows) s += latencySumAt(countAt(f.rate, t), f.edge.latency);
      return s;
    },
  };
}

export const constantSeries = (labels: Labels, v: number): ScalarSeries => ({ labels, value: () => v });

/** When every generated process started (unix seconds), so CPU counters are pure functions of time. */
export const PROCESS_START_SECONDS = 1_700_000_000;

/** process_cpu_seconds_total of a process busy `cpuMillisPerSecond` ms per second since PROCESS_START_SECONDS. */
export function processCpuSeries(labels: Labels, cpuMillisPerSecond: number): ScalarSeries {
  return { labels, value: (t) => Math.max(0, Math.floor((t - PROCESS_START_SECONDS) * cpuMillisPerSecond)) / 1000 };
}

/** Process series of a control-plane process (Istio's and Consul's): a CPU counter and a goroutine gauge. */
export function processFamilies(targets: ReadonlyArray<{ labels: Labels; seed: number }>): MetricFamily[] {
  return [
    {
      type: "counter",
      name: "process_cpu_seconds_total",
      help: "Total user and system CPU time spent in seconds.",
      series: targets.map((p) => processCpuSeries(p.labels, 3 + (p.seed % 5))),
    },
    {
      type: "gauge",
      name: "go_goroutines",
      help: "Number of goroutines that currently exist.",
      series: targets.map((p) => constantSeries(p.labels, 40 + (p.seed % 17))),
    },
  ];
}

/** The model's connections grouped by the labels a mesh gives them, as one sidecar's series. */
export interface ConnectionGroup {
  readonly labels: Labels;
  readonly connections: Connections[];
}

export function groupConnections(connections: readonly Connections[], labelsOf: (c: Connections) => Labels): ConnectionGroup[] {
  return groupByLabels(connections, labelsOf).map((g) => ({ labels: g.labels, connections: g.items }));
}

/** One series per group: `figure` summed over the group's connections (see model.ts: bytesReadAt, connectionsOpenAt...). */
export function connectionSeries(groups: readonly ConnectionGroup[], figure: (c: Connections, t: number) => number): ScalarSeries[] {
  return groups.map((g) => ({ labels: g.labels, value: (t: number) => g.connections.reduce((n, c) => n + figure(c, t), 0) }));
}
