// Traffic between workloads of any kind: what the workload graph is made of.
// An adapter reports pairs; a caller it cannot name is `from: null`.

import type { ResourceKind } from "./kinds.ts";
import type { RawStats } from "./metrics.ts";
import type { ResourceRef } from "./resource.ts";

/**
 * The kinds a graph node stands for: a pod's top-level owner (a Deployment, not
 * its ReplicaSet), or the pod itself when no workload owns it.
 */
export const WORKLOAD_KINDS = [
  "DEPLOYMENT",
  "STATEFULSET",
  "DAEMONSET",
  "JOB",
  "REPLICASET",
  "POD",
] as const satisfies readonly ResourceKind[];
export type WorkloadKind = (typeof WORKLOAD_KINDS)[number];

export function isWorkloadKind(kind: ResourceKind): kind is WorkloadKind {
  return (WORKLOAD_KINDS as readonly ResourceKind[]).includes(kind);
}

/** Requests from one workload to another, as the client's sidecar saw them. */
export interface TrafficPair {
  /** null: a caller the mesh cannot name (unmeshed, ingress without a proxy). */
  readonly from: ResourceRef | null;
  readonly to: ResourceRef;
  /** The measures that showed traffic on it. */
  readonly stats: RawStats;
  /** true: all of it mutual TLS; false: some of it not; null: the mesh does not say. */
  readonly mtls: boolean | null;
}
