// Which Linkerd proxy labels name a resource of each kind, on both ends of a
// request. Jobs use `k8s_job`, since `job` belongs to Prometheus' scrape config.
// Pods carry only their top owner's label, so a Deployment's ReplicaSet is
// named from `deployment` and `pod_template_hash`.

import type { ResourceKind } from "../../domain/kinds.ts";
import type { RefLabels } from "../refs.ts";

function kindLabel(kind: ResourceKind): string {
  return kind === "JOB" ? "k8s_job" : kind.toLowerCase();
}

/** Labels of the proxy's own workload (inbound: the server; outbound: the client). */
export function selfLabels(kind: ResourceKind): RefLabels {
  const name = kindLabel(kind);
  return kind === "REPLICASET"
    ? { namespace: "namespace", name, composed: { owner: "deployment", hash: "pod_template_hash" } }
    : { namespace: "namespace", name };
}

/** Labels of the destination workload on outbound series. */
export function dstLabels(kind: ResourceKind): RefLabels {
  const name = `dst_${kindLabel(kind)}`;
  return kind === "REPLICASET"
    ? { namespace: "dst_namespace", name, composed: { owner: "dst_deployment", hash: "dst_pod_template_hash" } }
    : { namespace: "dst_namespace", name: kind === "NAMESPACE" ? "dst_namespace" : name };
}
