// Edges: traffic between a resource and one peer, seen from the resource.

import type { RawStats } from "./metrics.ts";
import { compareRefs, type ResourceRef } from "./resource.ts";

/** FROM: the peer called the resource. TO: the resource called the peer. */
export type EdgeDirection = "FROM" | "TO";

export interface EdgeStats {
  readonly direction: EdgeDirection;
  readonly resource: ResourceRef;
  readonly peer: ResourceRef;
  readonly stats: RawStats;
  /** true: all of the traffic was mutual TLS; false: some of it was not; null: the mesh does not say. */
  readonly mtls: boolean | null;
}

/** The one edge order of every transport: FROM before TO, then by peer (namespace, name, kind). */
export function compareEdges(a: Pick<EdgeStats, "direction" | "peer">, b: Pick<EdgeStats, "direction" | "peer">): number {
  if (a.direction !== b.direction) return a.direction === "FROM" ? -1 : 1;
  return compareRefs(a.peer, b.peer);
}
