// The panel beside the graph: golden metrics and edges of what was clicked,
// as tables, and sparklines when the API has time series.

import uPlot from "uplot";
import "uplot/dist/uPlot.min.css";
import { fetchSeries } from "./api.ts";
import { formatBool, formatLatency, formatNumber, formatPercent, formatRps, MISSING } from "./format.ts";
import type { Graph, GraphEdge, GraphNode, Metrics } from "./graph.ts";
import { nodeLabel, type Selection } from "./graph-view.ts";

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

export function renderDetails(panel: HTMLElement, graph: Graph | null, selection: Selection): void {
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
    void sparklines(panel, node.metrics !== null);
  } else {
    const edge = graph.edges.find((e) => e.id === selection.id);
    if (!edge) return;
    panel.append(el("h2", {}, `${name(edge.source)} → ${name(edge.destination)}`));
    const derived = edge.derived ? " · computed: the destination's requests that no visible caller accounts for" : "";
    panel.append(el("p", { class: "sub" }, `mTLS: ${formatBool(edge.mtls, "yes", "no")}${derived}`));
    panel.append(metricsTable(edge.metrics));
    void sparklines(panel, edge.metrics !== null);
  }
}

function describe(n: GraphNode): string {
  if (n.type === "UNKNOWN") return "Requests that no visible caller accounts for: unmeshed clients, callers of another kind, or callers you may not see.";
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

async function sparklines(panel: HTMLElement, measured: boolean): Promise<void> {
  const box = el("div", { class: "sparklines" }, el("h3", {}, "Last hour"));
  panel.append(box);
  const series = measured ? await fetchSeries() : { available: false as const, reason: "no time series for this element" };
  if (!series.available) {
    box.append(el("p", { class: "hint", "data-field": "series" }, series.reason));
    return;
  }
  const x = series.points.map((p) => Date.parse(p.timestamp) / 1000);
  const lines: Array<[string, (m: Metrics) => number | null]> = [
    ["success rate", (m) => m.successRate],
    ["rps", (m) => m.requestsPerSecond],
    ["p99 (ms)", (m) => m.latency.p99],
  ];
  for (const [label, pick] of lines) {
    const target = el("div", { class: "spark" }, el("span", {}, label));
    box.append(target);
    new uPlot(
      { width: 320, height: 60, legend: { show: false }, axes: [{ show: false }, { show: false }], series: [{}, { stroke: "#0066cc", spanGaps: false }], cursor: { show: false } },
      [x, series.points.map(pick)],
      target,
    );
  }
}

function el(tag: string, attributes: Record<string, string>, ...children: Array<Node | string>): HTMLElement {
  const e = document.createElement(tag);
  for (const [k, v] of Object.entries(attributes)) e.setAttribute(k, v);
  e.append(...children);
  return e;
}
