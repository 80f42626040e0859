// Which Kubernetes workload runs a pod, without a cluster: Istio and Consul
// metrics name a workload (Istio) or a service (Consul) but never its kind, so
// the kind is read from the names Kubernetes gives pods. A WorkloadResolver
// (the Kubernetes inventory) replaces the guess wherever it knows better.
//
// Pod names, as the controllers generate them:
//   Deployment   <deployment>-<pod-template-hash>-<5>   hash: 6..10 chars of KUBE_ALPHABET
//   StatefulSet  <statefulset>-<ordinal>
//   DaemonSet    <daemonset>-<5>
//   Job          <job>-<5>             indistinguishable from a DaemonSet
//   ReplicaSet   <replicaset>-<5>      (standalone) likewise
// `<5>` is 5 chars of KUBE_ALPHABET. Limits are documented in docs/meshes.md.

import type { ResourceKind } from "../domain/kinds.ts";
import { compareRefs, refKey, type ResourceRef } from "../domain/resource.ts";

/** The alphabet of Kubernetes' generated suffixes and pod-template-hashes (no vowels, no look-alikes). */
const ALPHABET = "bcdfghjklmnpqrstvwxz2456789";
const SUFFIX = `[${ALPHABET}]{5}`;
const HASH = `[${ALPHABET}]{6,10}`;

const DEPLOYMENT_POD = new RegExp(`^(.+)-(${HASH})-${SUFFIX}$`);
const GENERATED_POD = new RegExp(`^(.+)-${SUFFIX}$`);
const ORDINAL_POD = /^(.+)-(0|[1-9][0-9]*)$/;

/** A pod as the cluster describes it: generic facts a mesh spec reads its own rules from. */
export interface PodFacts {
  readonly namespace: string;
  readonly name: string;
  readonly labels: Readonly<Record<string, string>>;
  readonly annotations: Readonly<Record<string, string>>;
  /** The workload that runs it (a Deployment, not its ReplicaSet), or the pod itself when bare. */
  readonly owner: ResourceRef;
}

/**
 * What the Kubernetes inventory knows (src/kube/inventory.ts implements it).
 * null means "not known": the adapter then falls back to inference.
 */
export interface WorkloadResolver {
  /** The kind of the workload called `name` in the namespace. */
  workloadKind(namespace: string, name: string): ResourceKind | null;
  /** Every pod known, finished ones too (they still tell which workload is which). */
  podFacts(): Iterable<PodFacts>;
  /** Changes whenever podFacts() would answer differently, so derived rules can be cached. */
  readonly generation: number;
}

/** The kinds pod names can tell apart. Jobs and standalone ReplicaSets read as DaemonSets. */
export type InferredKind = "DEPLOYMENT" | "STATEFULSET" | "DAEMONSET";

export interface PodOwner {
  readonly kind: InferredKind;
  /** The workload's name. */
  readonly name: string;
  /** A Deployment pod's ReplicaSet, `<deployment>-<hash>`; null otherwise. */
  readonly replicaSet: string | null;
}

/**
 * The owner of a pod read from its name alone. Order matters: a Deployment
 * pod also matches the single-suffix pattern, and a 5-digit suffix such as
 * "24567" is a DaemonSet/Job pod far more often than a StatefulSet's 24568th
 * replica. null when the name matches no controller's pattern (a bare pod).
 */
export function parsePodName(pod: string): PodOwner | null {
  const d = DEPLOYMENT_POD.exec(pod);
  if (d) return { kind: "DEPLOYMENT", name: d[1]!, replicaSet: `${d[1]}-${d[2]}` };
  const g = GENERATED_POD.exec(pod);
  if (g) return { kind: "DAEMONSET", name: g[1]!, replicaSet: null };
  const o = ORDINAL_POD.exec(pod);
  if (o) return { kind: "STATEFULSET", name: o[1]!, replicaSet: null };
  return null;
}

/**
 * The kind of the workload `name` whose pods are `pods`, when the workload's
 * name is known (Istio). Only pods named after the workload count; the kind
 * most of them point to wins, ties going to the order Deployment, StatefulSet,
 * DaemonSet. Without any such pod: Deployment, the most common workload.
 */
export function inferWorkloadKind(name: string, pods: Iterable<string>): InferredKind {
  const votes: Record<InferredKind, number> = { DEPLOYMENT: 0, STATEFULSET: 0, DAEMONSET: 0 };
  for (const pod of pods) {
    const owner = parsePodName(pod);
    if (owner && owner.name === name) votes[owner.kind]++;
  }
  let best: InferredKind = "DEPLOYMENT";
  for (const kind of ["STATEFULSET", "DAEMONSET"] as const) if (votes[kind] > votes[best]) best = kind;
  return best;
}

/** The ReplicaSet `<workload>-<hash>` of a Deployment's pod, or null when the pod is not named that way. */
export function replicaSetOfPod(workload: string, pod: string): string | null {
  const owner = parsePodName(pod);
  return owner && owner.kind === "DEPLOYMENT" && owner.name === workload ? owner.replicaSet : null;
}

/** The owner most of the pods point to (ties: the alphabetically first name), or null. */
export function commonPodOwner(pods: Iterable<string>): PodOwner | null {
  const tally = new Map<string, { owner: PodOwner; n: number }>();
  for (const pod of pods) {
    const owner = parsePodName(pod);
    if (!owner) continue;
    const key = `${owner.kind}/${owner.name}`;
    const t = tally.get(key);
    if (t) t.n++;
    else tally.set(key, { owner, n: 1 });
  }
  let best: { owner: PodOwner; n: number } | null = null;
  for (const t of tally.values()) {
    if (!best || t.n > best.n || (t.n === best.n && t.owner.name < best.owner.name)) best = t;
  }
  return best?.owner ?? null;
}

/** A workload of a namespace, as the metrics name it, with the pods seen serving or calling for it. */
export interface ObservedWorkload {
  readonly namespace: string;
  readonly name: string;
  readonly kind: ResourceKind;
  /** Pod names seen for this workload in the period. */
  readonly pods: ReadonlySet<string>;
}

/**
 * The ref of kind `kind` that stands for a workload, or null when the
 * workload is no resource of that kind. A Deployment stands for its
 * ReplicaSet only when its pods show exactly one (during a rollout two
 * ReplicaSets share the Deployment's series and cannot be told apart).
 */
export function workloadAsKind(w: ObservedWorkload, kind: ResourceKind): ResourceRef | null {
  if (kind === "NAMESPACE") return { kind, namespace: null, name: w.namespace };
  if (kind === "POD") return null;
  if (kind === "REPLICASET" && w.kind === "DEPLOYMENT") {
    const sets = new Set<string>();
    for (const pod of w.pods) {
      const rs = replicaSetOfPod(w.name, pod);
      if (rs) sets.add(rs);
    }
    return sets.size === 1 ? { kind, namespace: w.namespace, name: [...sets][0]! } : null;
  }
  return w.kind === kind ? { kind, namespace: w.namespace, name: w.name } : null;
}

/** The resources of `kind` that observed workloads stand for, each once, sorted. */
export function resourcesOfKind(workloads: Iterable<ObservedWorkload>, kind: ResourceKind): ResourceRef[] {
  const out = new Map<string, ResourceRef>();
  for (const w of workloads) {
    const refs: ResourceRef[] =
      kind === "POD"
        ? [...w.pods].map((pod) => ({ kind: "POD" as const, namespace: w.namespace, name: pod }))
        : [workloadAsKind(w, kind)].flatMap((r) => r ?? []);
    for (const r of refs) out.set(refKey(r), r);
  }
  return [...out.values()].sort(compareRefs);
}

/**
 * Workload names a ref of `kind` may appear under in the metrics: itself, and
 * for a ReplicaSet also its Deployment (the name without `-<hash>`). A
 * superset, for matchers; answers are filtered exactly afterwards.
 */
export function workloadNamesFor(kind: ResourceKind, name: string): string[] {
  if (kind !== "REPLICASET") return [name];
  const m = new RegExp(`^(.+)-${HASH}$`).exec(name);
  return m ? [name, m[1]!] : [name];
}
