// Which Linkerd proxy label names a resource of each kind, on both ends of a
// request. Jobs use `k8s_job`, since `job` belongs to Prometheus' scrape config.

import type { ResourceKind } from "../../domain/kinds.ts";

export interface KindLabels {
  /** Label of the proxy's own workload (inbound: the server; outbound: the client). */
  readonly self: string;
  /** Label of the destination workload on outbound series. */
  readonly dst: string;
}

export const LINKERD_LABELS: Readonly<Record<ResourceKind, KindLabels>> = {
  NAMESPACE: { self: "namespace", dst: "dst_namespace" },
  POD: { self: "pod", dst: "dst_pod" },
  DEPLOYMENT: { self: "deployment", dst: "dst_deployment" },
  DAEMONSET: { self: "daemonset", dst: "dst_daemonset" },
  STATEFULSET: { self: "statefulset", dst: "dst_statefulset" },
  REPLICASET: { self: "replicaset", dst: "dst_replicaset" },
  JOB: { self: "k8s_job", dst: "dst_k8s_job" },
};
