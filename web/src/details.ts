// The panel beside the graph: golden metrics and edges of what was clicked,
// as tables, and sparklines of the last hour from the API's `series`.

import uPlot from "uplot";
import "uplot/dist/uPlot.min.css";
import { fetchSeries, type GraphQuery, type Series, type SeriesPoint } from "./api.ts";
import { formatBool, formatLatency, formatNumber, formatPercent, formatRps, MISSING } from "./format.ts";
import type { Graph, GraphEdge, GraphNode, Metrics } from "./graph.ts";
import type { Selection } from "./graph-view.ts";
import { nodeLabel } from "./labels.ts";

const UNKNOWN_EDGE_NOTE = " · what the destination received beyond what its known callers sent";

/** The golden metrics rows, in the order people read them; `field` names them for tests. */
export const METRIC_ROWS: ReadonlyArray<{ field: string; label: string; value: (m: Metrics) => string }> = [
  { field: "rps", label: "Requests per second", value: (m) => formatRps(m.requestsPerSecond) },
  { field: "success", label: "Success rate", value: (m) => formatPercent(m.successRate) },
  { field: "requests", label: "Requests", value: (m) => formatNumber(m.requestCount) },
  { field: "failures", label: "Failures", value: (m) => formatNumber(m.failureCount) },
  { field: "p50", label: "Latency p50", value: (m) => formatLatency(m.latency.p50) },
  { field: "p95", label: "Latency p95", value: (m) => formatLatency(m.latency.p95) },
  { field: "p99", label: "Latency p99", value: (m) => formatLatency(m.latency.p99) },
];

export interface DetailsContext {
  readonly graph: Graph | null;
  readonly selection: Selection;
  readonly query: GraphQuery;
}

export function renderDetails(panel: HTMLElement, { graph, selection, query }: DetailsContext): void {
  panel.replaceChildren();
  if (!graph || !selection) {
    panel.append(el("p", { class: "hint" }, "Click a workload or an edge to see its golden metrics."));
    return;
  }
  const nodes = new Map(graph.nodes.map((n) => [n.id, n]));
  const name = (id: string) => {
    const n = nodes.get(id);
    return n ? nodeLabel(n, true).replace("\n", " · ") : id;
  };
  if (selection.kind === "node") {
    const node = nodes.get(selection.id);
    if (!node) return;
    panel.append(el("h2", {}, name(node.id)), el("p", { class: "sub" }, describe(node)));
    panel.append(el("h3", {}, "Received"), metricsTable(node.metrics));
    const edges = graph.edges.filter((e) => e.source === node.id || e.destination === node.id);
    panel.append(el("h3", {}, `Edges (${edges.length})`), edgesTable(edges, node.id, name));
  } else {
    const edge = graph.edges.find((e) => e.id === selection.id);
    if (!edge) return;
    panel.append(el("h2", {}, `${name(edge.source)} → ${name(edge.destination)}`));
    const unknown = nodes.get(edge.source)?.type === "UNKNOWN" ? UNKNOWN_EDGE_NOTE : "";
    panel.append(el("p", { class: "sub" }, `mTLS: ${formatBool(edge.mtls, "yes", "no")}${unknown}`));
    panel.append(metricsTable(edge.metrics));
  }
  void sparklines(panel, graph, selection, query);
}

function describe(n: GraphNode): string {
  if (n.type === "UNKNOWN")
    return (
      "Callers the mesh cannot name: unmeshed clients, ingress without a proxy. " +
      "Its edges carry what their destinations received beyond what known callers sent."
    );
  if (n.type === "HIDDEN") return "A peer you may not see: its name is withheld, its traffic still counts.";
  const parts = [
    n.resource?.kind.toLowerCase() ?? "",
    n.meshed === false ? "unmeshed: the mesh reports nothing it sends; what it receives without a proxy is not measured" : "",
    n.outside ? "outside the chosen namespaces" : "",
    n.idle ? "idle in this window" : "",
  ];
  return parts.filter(Boolean).join(" · ");
}

function metricsTable(m: Metrics | null): HTMLElement {
  const table = el("table", { class: "metrics" });
  for (const row of METRIC_ROWS) {
    table.append(el("tr", {}, el("th", {}, row.label), el("td", { "data-field": row.field }, m ? row.value(m) : MISSING)));
  }
  return table;
}

function edgesTable(edges: readonly GraphEdge[], self: string, name: (id: string) => string): HTMLElement {
  if (edges.length === 0) return el("p", { class: "hint" }, "No edges in this window.");
  const table = el("table", { class: "edges" }, el("tr", {}, ...["", "Peer", "RPS", "Success", "p99", "mTLS"].map((h) => el("th", {}, h))));
  for (const e of edges) {
    const inbound = e.destination === self;
    table.append(
      el(
        "tr",
        { "data-edge": e.id },
        el("td", { title: inbound ? "calls this workload" : "called by this workload" }, inbound ? "←" : "→"),
        el("td", {}, name(inbound ? e.source : e.destination)),
        el("td", { "data-field": "rps" }, formatNumber(e.metrics?.requestsPerSecond)),
        el("td", { "data-field": "success" }, formatPercent(e.metrics?.successRate)),
        el("td", { "data-field": "p99" }, formatLatency(e.metrics?.latency.p99)),
        el("td", { "data-field": "mtls" }, formatBool(e.mtls, "yes", "no")),
      ),
    );
  }
  return table;
}

/**
 * The selection's last hour. Live events come every scrape interval, but a
 * point covers a minute: the series is asked again once a minute, and the
 * lines already drawn stay up until the new ones come.
 */
let cached: { key: string; minute: number; series: Promise<Series>; shown: { series: Series; end: number } | null } | null = null;
/** The sparklines on the page, for tests: what uPlot was given to draw. */
const drawn = new Map<string, uPlot>();

const LINES: ReadonlyArray<{
  field: string;
  label: string;
  pick: (p: SeriesPoint) => number | null;
  format: (v: number | null) => string;
}> = [
  { field: "success", label: "Success rate", pick: (p) => p.successRate, format: formatPercent },
  { field: "rps", label: "Requests per second", pick: (p) => p.requestsPerSecond, format: formatRps },
  { field: "p99", label: "Latency p99", pick: (p) => p.latency.p99, format: formatLatency },
];

async function sparklines(panel: HTMLElement, graph: Graph, selection: NonNullable<Selection>, query: GraphQuery): Promise<void> {
  // The hour ends at the graph's moment.
  const end = Date.parse(graph.timestamp) / 1000;
  const box = el("div", { class: "sparklines" });
  panel.append(box);
  const key = JSON.stringify([selection, query]);
  const minute = Math.floor(end / 60);
  if (cached?.key !== key) cached = { key, minute, series: fetchSeries(graph, selection, query), shown: null };
  else if (cached.minute !== minute) cached = { ...cached, minute, series: fetchSeries(graph, selection, query) };
  const mine = cached;
  if (mine.shown) drawSparklines(box, mine.shown.series, mine.shown.end);
  else box.append(el("h3", {}, "Last hour"));
  let series: Series;
  try {
    series = await mine.series;
    mine.shown = { series, end };
  } catch (e) {
    if (cached === mine) cached = null;
    series = { available: false, reason: `the series could not be fetched: ${e instanceof Error ? e.message : String(e)}` };
  }
  if (box.isConnected) drawSparklines(box, series, end);
}

function drawSparklines(box: HTMLElement, series: Series, end: number): void {
  for (const u of drawn.values()) u.destroy();
  drawn.clear();
  const clock = (t: number) => new Date(t * 1000).toLocaleTimeString([], { hour: "2-digit", minute: "2-digit" });
  box.replaceChildren(el("h3", {}, `Last hour · ${clock(end - 3600)} – ${clock(end)}`));
  if (!series.available) {
    box.append(el("p", { class: "hint", "data-field": "series" }, `No time series: ${series.reason}.`));
    return;
  }
  // Steps before the backend's first data are absent: the line starts late rather than at zero.
  const x = series.points.map((p) => Date.parse(p.timestamp) / 1000);
  for (const line of LINES) {
    const y = series.points.map(line.pick);
    const known = y.filter((v): v is number => v !== null);
    const last = y.at(-1) ?? null;
    const range = known.length > 0 ? `${line.format(Math.min(...known))} – ${line.format(Math.max(...known))}` : "no traffic";
    const target = el(
      "div",
      { class: "spark", "data-series": line.field },
      el(
        "div",
        { class: "spark-text" },
        el("span", {}, line.label),
        el("span", { "data-field": "last" }, `last ${line.format(last)}`),
        el("span", { class: "range" }, range),
      ),
    );
    box.append(target);
    drawn.set(
      line.field,
      new uPlot(
        {
          width: 400,
          height: 48,
          legend: { show: false },
          cursor: { show: false },
          axes: [{ show: false }, { show: false }],
          scales: { x: { time: false, range: [end - 3600, end] } },
          // A null is a step without traffic: a gap, never a line through zero.
          series: [{}, { stroke: "#0066cc", width: 1.5, fill: "rgba(0, 102, 204, 0.08)", spanGaps: false, points: { show: false } }],
        },
        [x, y],
        target,
      ),
    );
  }
  box.append(el("p", { class: "hint" }, `${series.points.length} points, each over the minute before it; gaps are steps without traffic.`));
}

/** What each sparkline was given, by field: x in seconds, y as the series answered it. */
export function sparklineData(): Record<string, { x: number[]; y: Array<number | null> }> {
  return Object.fromEntries(
    [...drawn].map(([field, u]) => [field, { x: [...(u.data[0] as number[])], y: [...(u.data[1] as Array<number | null>)] }]),
  );
}

function el(tag: string, attributes: Record<string, string>, ...children: Array<Node | string>): HTMLElement {
  const e = document.createElement(tag);
  for (const [k, v] of Object.entries(attributes)) e.setAttribute(k, v);
  e.append(...children);
  return e;
}
