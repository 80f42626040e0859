// Shared by the mesh adapter tests: a resolver that answers from the model
// (standing in for the Kubernetes inventory), the model's ground truth for
// "seen" resources, edge flows and true percentiles, the error bound of a
// histogram percentile, and the check that existence checks answer as listings.

import assert from "node:assert/strict";
import { RESOURCE_KINDS, type ResourceKind } from "../../src/domain/kinds.ts";
import { refKey, type ResourceRef } from "../../src/domain/resource.ts";
import type { Window } from "../../src/domain/window.ts";
import type { MeshAdapter } from "../../src/mesh/adapter.ts";
import type { PodFacts, WorkloadResolver } from "../../src/mesh/infer.ts";
import { consulService } from "../../src/demo/traffic/consul.ts";
import { countAt } from "../../src/demo/traffic/counters.ts";
import type { FlowFilter } from "../fixtures/expected.ts";
import { ownerRef, podIn, resourcesOf, workloadRef, type Flow, type TrafficModel } from "../../src/demo/traffic/model.ts";

/**
 * What the Kubernetes inventory would answer for the model's cluster: each
 * meshed pod declares its Consul service in the connect-service annotation.
 */
export function modelResolver(model: TrafficModel): WorkloadResolver {
  return {
    workloadKind: (namespace, name) => model.workloads.find((w) => w.namespace === namespace && w.name === name)?.kind ?? null,
    podFacts: () =>
      model.pods.map(
        (p): PodFacts => ({
          namespace: p.namespace,
          name: p.name,
          labels: { app: p.workload.name },
          annotations: p.workload.meshed ? { "consul.hashicorp.com/connect-service": consulService(p.workload) } : {},
          owner: workloadRef(p.workload),
        }),
      ),
    generation: 0,
  };
}

/** Resources of a kind with a meshed pod that sent or served traffic: what a sidecar mesh has seen. */
export function expectedSeen(model: TrafficModel, kind: ResourceKind): ResourceRef[] {
  return resourcesOf(model, kind).filter((r) =>
    model.flows.some((f) => (f.src.workload.meshed && podIn(f.src, r)) || (f.dst.workload.meshed && podIn(f.dst, r))),
  );
}

/** The flows of one edge as expectedEdges groups them. */
export function edgeFlows(ref: ResourceRef, direction: "FROM" | "TO", peer: ResourceRef): FlowFilter {
  const same = (a: ResourceRef | null) => a !== null && a.name === peer.name && a.namespace === peer.namespace;
  return (f: Flow) =>
    f.src.workload.meshed &&
    (direction === "TO" ? podIn(f.src, ref) && same(ownerRef(f.dst, peer.kind)) : podIn(f.dst, ref) && same(ownerRef(f.src, peer.kind)));
}

/**
 * The true q-quantile of the latency of the matching flows' responses in
 * (start, end]: the mixture of their distributions weighted by their counts,
 * inverted by bisection. null without responses.
 */
export function trueQuantile(model: TrafficModel, filter: FlowFilter, start: number, end: number, q: number): number | null {
  const parts = model.flows.filter(filter).map((f) => ({ f, n: countAt(f.rate, end) - countAt(f.rate, start) }));
  const total = parts.reduce((s, p) => s + p.n, 0);
  if (total === 0) return null;
  const cdf = (x: number) => parts.reduce((s, p) => s + p.n * p.f.edge.latency.cdf(x), 0) / total;
  let lo = 0;
  let hi = Math.max(...parts.map((p) => p.f.edge.latency.points.at(-1)![1]));
  for (let i = 0; i < 100; i++) {
    const mid = (lo + hi) / 2;
    if (cdf(mid) >= q) hi = mid;
    else lo = mid;
  }
  return hi;
}

/** The bucket (lower, upper] of `bounds` holding x (0 below the first bound, Infinity above the last). */
export function bucketOf(bounds: readonly number[], x: number): { lower: number; upper: number } {
  let lower = 0;
  for (const b of bounds) {
    if (x <= b) return { lower, upper: b };
    lower = b;
  }
  return { lower, upper: Number.POSITIVE_INFINITY };
}

/**
 * The documented error bound of a histogram percentile: the estimate and the
 * truth lie in the same bucket (or, where integer bucket counts move the rank
 * across a bound, in adjacent ones), so they differ by at most the width of
 * the buckets spanning both.
 */
export function percentileBound(bounds: readonly number[], estimate: number, truth: number): number {
  const a = bucketOf(bounds, estimate);
  const b = bucketOf(bounds, truth);
  return Math.max(a.upper, b.upper) - Math.min(a.lower, b.lower);
}

/** Every Deployment-owned or standalone ReplicaSet; standalone ones are workloads of kind REPLICASET. */
export function isStandaloneReplicaSet(model: TrafficModel, ref: ResourceRef): boolean {
  return model.workloads.some((w) => w.kind === "REPLICASET" && w.namespace === ref.namespace && w.name === ref.name);
}

/**
 * Each resource's existence check (seenResources narrowed to it, `only`) against the listing of
 * its kind: seen exactly when the listing has it. The candidates are the model's resources of
 * every kind asked as `kind` (a StatefulSet's name asked as a Deployment, and so on) and a name
 * nobody has; each is asked alone, as a single resource's request asks. Returns how many were seen.
 */
export async function checkExistence(
  adapter: MeshAdapter,
  model: TrafficModel,
  kind: ResourceKind,
  at: Date,
  lookback: Window,
): Promise<number> {
  const listed = new Set((await adapter.seenResources({ kind, namespace: null, at, lookback })).map(refKey));
  const names = new Map<string, ResourceRef>();
  for (const k of RESOURCE_KINDS) {
    for (const r of resourcesOf(model, k)) {
      if ((r.namespace === null) !== (kind === "NAMESPACE")) continue;
      names.set(refKey({ ...r, kind }), { ...r, kind });
    }
  }
  const nobody: ResourceRef = { kind, namespace: kind === "NAMESPACE" ? null : (model.namespaces[0] ?? null), name: "nobody-here" };
  let seen = 0;
  for (const ref of [...names.values(), nobody]) {
    const answer = await adapter.seenResources({ kind, namespace: ref.namespace, at, lookback, only: [ref] });
    const found = answer.some((r) => refKey(r) === refKey(ref));
    assert.equal(found, listed.has(refKey(ref)), `${refKey(ref)}: existence check ${found}, listing ${listed.has(refKey(ref))}`);
    if (found) seen++;
  }
  return seen;
}
