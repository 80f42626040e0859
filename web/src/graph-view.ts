// Draws a Graph with cytoscape: colour by health, size by requests per second,
// edge labels with rps and p99, line style by mTLS, idle workloads boxed apart.

import cytoscape, { type Core, type ElementDefinition, type StylesheetJson } from "cytoscape";
import type { Graph } from "./graph.ts";
import { HEALTH_COLOURS, healthOf } from "./health.ts";
import { edgeLabel, nodeLabel } from "./labels.ts";
import { layoutGraph } from "./layout.ts";

const IDLE_GROUP = "group:idle";
/** Above this many nodes, pan and zoom draw a cached picture instead of every element. */
const LARGE = 300;

export type Selection = { readonly kind: "node"; readonly id: string } | { readonly kind: "edge"; readonly id: string } | null;

export interface GraphView {
  show(graph: Graph): Promise<void>;
  search(text: string): number;
  /** Where a node is drawn, in page pixels; tests click there. */
  nodePosition(id: string): { x: number; y: number } | null;
  edgeMidpoint(id: string): { x: number; y: number } | null;
  /** The ids drawn, for tests: what is on the canvas rather than what was fetched. */
  drawn(): { nodes: string[]; edges: string[] };
}

export function nodeSize(rps: number | null): number {
  return 28 + 14 * Math.log10(1 + Math.max(0, rps ?? 0) * 10);
}

const STYLE: StylesheetJson = [
  {
    selector: "node",
    style: {
      "background-color": "data(colour)",
      width: "data(size)",
      height: "data(size)",
      label: "data(label)",
      "font-size": 11,
      "font-family": "system-ui, sans-serif",
      color: "#1f2328",
      "text-valign": "bottom",
      "text-margin-y": 4,
      "text-wrap": "wrap",
      "text-max-width": "140px",
      "min-zoomed-font-size": 7,
      "border-width": 2,
      "border-color": "#ffffff",
    },
  },
  { selector: "node.outside", style: { "border-style": "dashed", "border-color": "#4f5255", "background-opacity": 0.55 } },
  {
    selector: "node.unmeshed",
    style: { shape: "round-rectangle", "background-color": "#ffffff", "border-color": "#6a6e73", "border-style": "dashed" },
  },
  {
    selector: "node.unknown",
    style: { shape: "diamond", "background-color": "#6a6e73", "border-style": "dotted", "border-color": "#1f2328" },
  },
  {
    selector: "node.hidden",
    style: { shape: "hexagon", "background-color": "#b8bbbe", "border-style": "dotted", "border-color": "#1f2328" },
  },
  {
    selector: `node#${cssId(IDLE_GROUP)}`,
    style: {
      shape: "round-rectangle",
      "background-color": "#f3f4f6",
      "border-color": "#b8bbbe",
      "border-style": "dashed",
      label: "data(label)",
      "text-valign": "top",
      "text-halign": "center",
      "text-margin-y": -6,
      "font-size": 13,
      "text-wrap": "none",
      color: "#4f5255",
      padding: "18px",
      events: "no",
    },
  },
  { selector: "node:selected", style: { "border-color": "#0066cc", "border-width": 5 } },
  { selector: "node.match", style: { "border-color": "#0066cc", "border-width": 5 } },
  { selector: ".dim", style: { opacity: 0.15 } },
  {
    selector: "edge",
    style: {
      width: "data(width)",
      "line-color": "data(colour)",
      "target-arrow-color": "data(colour)",
      "target-arrow-shape": "triangle",
      "arrow-scale": 0.9,
      "curve-style": "bezier",
      label: "data(label)",
      "font-size": 9,
      "font-family": "system-ui, sans-serif",
      color: "#1f2328",
      "text-background-color": "#ffffff",
      "text-background-opacity": 0.85,
      "text-background-padding": "2px",
      "text-rotation": "autorotate",
      "min-zoomed-font-size": 8,
    },
  },
  { selector: "edge.plaintext", style: { "line-style": "dashed" } },
  { selector: "edge.tls-unknown", style: { "line-style": "dotted" } },
  { selector: "edge:selected", style: { "line-color": "#0066cc", "target-arrow-color": "#0066cc", width: 5 } },
];

export function createGraphView(container: HTMLElement, onSelect: (s: Selection) => void): GraphView {
  let cy: Core | null = null;
  /** The node ids last drawn: a refresh of the same nodes keeps the user's pan and zoom. */
  let drawnKey = "";

  const elements = (graph: Graph): ElementDefinition[] => {
    const namespaces = new Set(graph.nodes.flatMap((n) => (n.resource && !n.outside ? [n.resource.namespace] : [])));
    const out: ElementDefinition[] = [];
    if (graph.nodes.some((n) => n.idle))
      out.push({ group: "nodes", data: { id: IDLE_GROUP, label: "idle: no traffic seen in this window" }, selectable: false });
    for (const n of graph.nodes) {
      out.push({
        group: "nodes",
        data: {
          id: n.id,
          label: nodeLabel(n, namespaces.size > 1),
          colour: HEALTH_COLOURS[healthOf(n.healthRate)],
          size: nodeSize(n.rps),
          search: `${n.resource?.namespace ?? ""}/${n.resource?.name ?? nodeLabel(n, false)} ${n.resource?.kind ?? ""}`.toLowerCase(),
          ...(n.idle ? { parent: IDLE_GROUP } : {}),
        },
        classes: [
          n.outside ? "outside" : "",
          n.type === "UNKNOWN" ? "unknown" : "",
          n.type === "HIDDEN" ? "hidden" : "",
          n.meshed === false ? "unmeshed" : "",
        ].filter(Boolean),
      });
    }
    for (const e of graph.edges) {
      out.push({
        group: "edges",
        data: {
          id: e.id,
          source: e.source,
          target: e.destination,
          label: edgeLabel(e),
          colour: e.metrics && e.metrics.requestCount > 0 ? HEALTH_COLOURS[healthOf(e.metrics.successRate)] : HEALTH_COLOURS.idle,
          width: 1.5 + Math.log10(1 + (e.metrics?.requestsPerSecond ?? 0) * 10),
        },
        classes: [e.mtls === false ? "plaintext" : e.mtls === null ? "tls-unknown" : ""].filter(Boolean),
      });
    }
    return out;
  };

  const position = (element: cytoscape.SingularElementReturnValue | undefined, midpoint: boolean) => {
    if (!element || element.empty()) return null;
    const p = midpoint ? element.renderedMidpoint() : element.renderedPosition();
    const box = container.getBoundingClientRect();
    return { x: box.left + p.x, y: box.top + p.y };
  };

  return {
    async show(graph) {
      const sizes = new Map(graph.nodes.map((n) => [n.id, nodeSize(n.rps)]));
      const layout = await layoutGraph(graph, (id) => sizes.get(id) ?? 30);
      const large = graph.nodes.length > LARGE;
      const selected = cy?.$(":selected").map((e) => e.id()) ?? [];
      const key = graph.nodes.map((n) => n.id).join("\n");
      const viewport = cy && key === drawnKey ? { zoom: cy.zoom(), pan: cy.pan() } : null;
      drawnKey = key;
      cy?.destroy();
      cy = cytoscape({
        container,
        elements: elements(graph),
        style: STYLE,
        layout: { name: "preset", positions: Object.fromEntries(layout.positions), fit: true, padding: 30 },
        minZoom: 0.05,
        maxZoom: 3,
        textureOnViewport: large,
        hideEdgesOnViewport: large,
        pixelRatio: large ? 1 : "auto",
      });
      if (viewport) cy.viewport(viewport);
      for (const id of selected) cy.getElementById(id).select();
      cy.on("tap", (event) => {
        if (event.target === cy) return onSelect(null);
        const target = event.target as cytoscape.SingularElementReturnValue;
        onSelect({ kind: target.isNode() ? "node" : "edge", id: target.id() });
      });
      await new Promise<void>((resolve) => {
        cy!.one("render", () => resolve());
        cy!.forceRender();
      });
    },
    search(text) {
      if (!cy) return 0;
      const needle = text.trim().toLowerCase();
      cy.elements().removeClass("dim match");
      if (!needle) return 0;
      const hits = cy.nodes().filter((n) => String(n.data("search") ?? "").includes(needle));
      cy.elements()
        .not(hits)
        .not(hits.connectedEdges())
        .not(`#${cssId(IDLE_GROUP)}`)
        .addClass("dim");
      hits.addClass("match");
      if (hits.nonempty()) cy.animate({ fit: { eles: hits, padding: 60 }, duration: 200 });
      return hits.length;
    },
    nodePosition: (id) => position(cy?.getElementById(id), false),
    edgeMidpoint: (id) => position(cy?.getElementById(id), true),
    drawn: () => ({
      nodes:
        cy
          ?.nodes()
          .filter((n) => n.id() !== IDLE_GROUP)
          .map((n) => n.id()) ?? [],
      edges: cy?.edges().map((e) => e.id()) ?? [],
    }),
  };
}

function cssId(id: string): string {
  return id.replace(/[^a-zA-Z0-9_-]/g, (c) => `\\${c}`);
}
