// Expected values computed from the model alone, never from PromQL: what a
// sidecar-based mesh measures over (start, end]. The server's sidecar sees
// inbound traffic (destination meshed), the client's sidecar sees edges and
// outbound traffic (source meshed), as Linkerd, Istio and Consul all do.

import type { ResourceKind } from "../domain/kinds.ts";
import type { ResourceRef } from "../domain/resource.ts";
import { flowBucketsAt, flowCountAt } from "./counters.ts";
import type { Bucket } from "../domain/histogram.ts";
import { isSuccess, ownerRef, podIn, type Flow, type TrafficModel } from "./model.ts";

export interface ExpectedCounts {
  readonly success: number;
  readonly failure: number;
  readonly total: number;
  readonly byStatus: Readonly<Record<number, number>>;
}

export type FlowFilter = (flow: Flow) => boolean;

/** Responses of the matching flows between start and end (unix seconds, end inclusive). */
export function expectedCounts(model: TrafficModel, filter: FlowFilter, start: number, end: number): ExpectedCounts {
  checkRange(start, end);
  let success = 0;
  let failure = 0;
  const byStatus: Record<number, number> = {};
  for (const flow of model.flows) {
    if (!filter(flow)) continue;
    const n = flowCountAt(flow, end) - flowCountAt(flow, start);
    if (isSuccess(flow.status)) success += n;
    else failure += n;
    byStatus[flow.status] = (byStatus[flow.status] ?? 0) + n;
  }
  return { success, failure, total: success + failure, byStatus };
}

/** Cumulative bucket increases of the matching flows, one per bound, then +Inf. */
export function expectedBuckets(
  model: TrafficModel,
  filter: FlowFilter,
  start: number,
  end: number,
  bounds: readonly number[],
): Bucket[] {
  checkRange(start, end);
  const sums = new Array<number>(bounds.length + 1).fill(0);
  for (const flow of model.flows) {
    if (!filter(flow)) continue;
    const a = flowBucketsAt(flow, bounds, start);
    const b = flowBucketsAt(flow, bounds, end);
    for (let i = 0; i < sums.length; i++) sums[i]! += b[i]! - a[i]!;
  }
  return sums.map((count, i) => ({ le: i < bounds.length ? bounds[i]! : Number.POSITIVE_INFINITY, count }));
}

/** Flows served by the resource's pods, as its own (meshed) sidecars saw them. */
export const inboundOf =
  (ref: ResourceRef): FlowFilter =>
  (f) =>
    f.dst.workload.meshed && podIn(f.dst, ref);

/** Flows sent by the resource's pods, as its own (meshed) sidecars saw them. */
export const outboundOf =
  (ref: ResourceRef): FlowFilter =>
  (f) =>
    f.src.workload.meshed && podIn(f.src, ref);

/** Flows from one resource to another, as the client's sidecars saw them. */
export const between =
  (from: ResourceRef, to: ResourceRef): FlowFilter =>
  (f) =>
    f.src.workload.meshed && podIn(f.src, from) && podIn(f.dst, to);

export function expectedInbound(model: TrafficModel, ref: ResourceRef, start: number, end: number): ExpectedCounts {
  return expectedCounts(model, inboundOf(ref), start, end);
}

export function expectedOutbound(model: TrafficModel, ref: ResourceRef, start: number, end: number): ExpectedCounts {
  return expectedCounts(model, outboundOf(ref), start, end);
}

export function expectedEdgeCounts(
  model: TrafficModel,
  from: ResourceRef,
  to: ResourceRef,
  start: number,
  end: number,
): ExpectedCounts {
  return expectedCounts(model, between(from, to), start, end);
}

export function expectedInboundBuckets(
  model: TrafficModel,
  ref: ResourceRef,
  start: number,
  end: number,
  bounds: readonly number[],
): Bucket[] {
  return expectedBuckets(model, inboundOf(ref), start, end, bounds);
}

export function expectedEdgeBuckets(
  model: TrafficModel,
  from: ResourceRef,
  to: ResourceRef,
  start: number,
  end: number,
  bounds: readonly number[],
): Bucket[] {
  return expectedBuckets(model, between(from, to), start, end, bounds);
}

export interface ExpectedEdge {
  /** FROM: the peer called the resource. TO: the resource called the peer. */
  readonly direction: "FROM" | "TO";
  readonly peer: ResourceRef;
  readonly counts: ExpectedCounts;
  /** true when all of it was mTLS, false when none was, null when mixed. */
  readonly mtls: boolean | null;
}

/**
 * The edges of a resource with peers of `peerKind` (in any namespace), seen
 * from client sidecars. Edges with no responses in the range are left out.
 */
export function expectedEdges(
  model: TrafficModel,
  ref: ResourceRef,
  peerKind: ResourceKind,
  start: number,
  end: number,
): ExpectedEdge[] {
  const groups = new Map<string, { direction: "FROM" | "TO"; peer: ResourceRef; flows: Flow[] }>();
  const add = (direction: "FROM" | "TO", peer: ResourceRef | null, flow: Flow) => {
    if (!peer) return;
    const key = `${direction}/${peer.namespace ?? ""}/${peer.name}`;
    const g = groups.get(key) ?? { direction, peer, flows: [] };
    g.flows.push(flow);
    groups.set(key, g);
  };
  for (const flow of model.flows) {
    if (!flow.src.workload.meshed) continue;
    if (podIn(flow.src, ref)) add("TO", ownerRef(flow.dst, peerKind), flow);
    if (podIn(flow.dst, ref)) add("FROM", ownerRef(flow.src, peerKind), flow);
  }
  const out: ExpectedEdge[] = [];
  for (const g of groups.values()) {
    const set = new Set(g.flows);
    const counts = expectedCounts(model, (f) => set.has(f), start, end);
    if (counts.total === 0) continue;
    const tls = new Set(g.flows.map((f) => f.edge.tls));
    out.push({ direction: g.direction, peer: g.peer, counts, mtls: tls.size === 1 ? [...tls][0]! : null });
  }
  return out.sort(
    (a, b) =>
      a.direction.localeCompare(b.direction) ||
      (a.peer.namespace ?? "").localeCompare(b.peer.namespace ?? "") ||
      a.peer.name.localeCompare(b.peer.name),
  );
}

function checkRange(start: number, end: number): void {
  if (!(Number.isFinite(start) && Number.isFinite(end) && start <= end)) {
    throw new Error(`bad time range [${start}, ${end}]`);
  }
}
