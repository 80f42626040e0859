// What the graph writes beside nodes and edges. Unknown callers and hidden
// peers are described, never named.

import { formatLatency, formatNumber } from "./format.ts";
import type { GraphEdge, GraphNode } from "./graph.ts";

export function nodeLabel(n: GraphNode, multipleNamespaces: boolean): string {
  if (n.type === "UNKNOWN") return "unknown callers";
  if (n.type === "HIDDEN" || !n.resource) return "not visible to you";
  const kind = n.resource.kind === "DEPLOYMENT" ? "" : ` (${n.resource.kind.toLowerCase()})`;
  const unmeshed = n.meshed === false ? " · unmeshed" : "";
  const ns = multipleNamespaces || n.outside ? `\n${n.resource.namespace ?? ""}` : "";
  return `${n.resource.name}${kind}${unmeshed}${ns}`;
}

/** rps and p99; a value the API did not give (no latency, a failed backend) is "–". */
export function edgeLabel(e: GraphEdge): string {
  return `${formatNumber(e.metrics?.requestsPerSecond)} rps · p99 ${formatLatency(e.metrics?.latency.p99)}`;
}
