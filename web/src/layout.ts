// Positions for the graph: ELK's layered layout (callers left, callees right)
// in a web worker, so a large graph never blocks the tab; idle workloads go
// in a grid of their own below it.

import ELK from "elkjs/lib/elk-api.js";
import elkWorkerUrl from "elkjs/lib/elk-worker.min.js?url";
import type { Graph } from "./graph.ts";
import { measureLatest } from "./timing.ts";

export interface Point {
  readonly x: number;
  readonly y: number;
}

export interface Layout {
  readonly positions: ReadonlyMap<string, Point>;
  /** The box that holds the idle workloads, or null when there are none. */
  readonly idleBox: { readonly x: number; readonly y: number; readonly width: number; readonly height: number } | null;
}

let elk: InstanceType<typeof ELK> | null = null;
/** Above this many nodes, layout trades crossings for speed. */
const LARGE_LAYOUT = 300;

export async function layoutGraph(graph: Graph, size: (id: string) => number): Promise<Layout> {
  elk ??= new ELK({ workerUrl: elkWorkerUrl });
  const started = performance.now();
  const active = graph.nodes.filter((n) => !n.idle);
  const ids = new Set(active.map((n) => n.id));
  const result = await elk.layout({
    id: "root",
    layoutOptions: {
      "elk.algorithm": "layered",
      "elk.direction": "RIGHT",
      "elk.layered.spacing.nodeNodeBetweenLayers": "140",
      "elk.spacing.nodeNode": "45",
      "elk.spacing.componentComponent": "60",
      // cytoscape draws the edges itself: ELK's cheapest routing is enough.
      "elk.edgeRouting": "POLYLINE",
      // Large graphs skip crossing minimization, which costs ELK seconds there (bench/console-render.ts).
      ...(active.length > LARGE_LAYOUT
        ? {
            "elk.layered.thoroughness": "1",
            "elk.layered.nodePlacement.strategy": "SIMPLE",
            "elk.layered.crossingMinimization.strategy": "NONE",
          }
        : {}),
    },
    children: active.map((n) => ({ id: n.id, width: size(n.id), height: size(n.id) })),
    edges: graph.edges
      .filter((e) => ids.has(e.source) && ids.has(e.destination) && e.source !== e.destination)
      .map((e) => ({ id: e.id, sources: [e.source], targets: [e.destination] })),
  });
  measureLatest("meshql:layout", started);
  const positions = new Map<string, Point>();
  let bottom = 0;
  let left = Number.POSITIVE_INFINITY;
  let right = 0;
  for (const c of result.children ?? []) {
    const s = size(c.id);
    positions.set(c.id, { x: (c.x ?? 0) + s / 2, y: (c.y ?? 0) + s / 2 });
    bottom = Math.max(bottom, (c.y ?? 0) + s);
    left = Math.min(left, c.x ?? 0);
    right = Math.max(right, (c.x ?? 0) + s);
  }
  if (!Number.isFinite(left)) left = 0;

  const idle = graph.nodes.filter((n) => n.idle);
  if (idle.length === 0) return { positions, idleBox: null };
  const cell = 120;
  const columns = Math.max(4, Math.min(idle.length, Math.floor(Math.max(right - left, cell * 6) / cell)));
  const top = bottom + 120;
  for (const [i, n] of idle.entries())
    positions.set(n.id, { x: left + cell / 2 + (i % columns) * cell, y: top + 50 + Math.floor(i / columns) * 90 });
  const rows = Math.ceil(idle.length / columns);
  return { positions, idleBox: { x: left - 20, y: top, width: Math.min(columns, idle.length) * cell + 40, height: rows * 90 + 40 } };
}
