// The Kubernetes resource kinds meshql reports on, and their names in each
// vocabulary (GraphQL enum, SMI plural, Kubernetes kind).

export const RESOURCE_KINDS = ["NAMESPACE", "POD", "DEPLOYMENT", "DAEMONSET", "STATEFULSET", "REPLICASET", "JOB"] as const;

export type ResourceKind = (typeof RESOURCE_KINDS)[number];

export interface KindInfo {
  readonly kind: ResourceKind;
  /** Kubernetes kind, as in `kind:` of an object: "Deployment", "DaemonSet". */
  readonly kubeKind: string;
  /** Lower-case plural used in REST paths: "deployments". */
  readonly plural: string;
  /** Lower-case singular: "deployment". */
  readonly singular: string;
  readonly namespaced: boolean;
}

const info = (kind: ResourceKind, kubeKind: string, plural: string, namespaced = true): KindInfo => ({
  kind,
  kubeKind,
  plural,
  singular: kubeKind.toLowerCase(),
  namespaced,
});

export const KIND_INFO: Readonly<Record<ResourceKind, KindInfo>> = {
  NAMESPACE: info("NAMESPACE", "Namespace", "namespaces", false),
  POD: info("POD", "Pod", "pods"),
  DEPLOYMENT: info("DEPLOYMENT", "Deployment", "deployments"),
  DAEMONSET: info("DAEMONSET", "DaemonSet", "daemonsets"),
  STATEFULSET: info("STATEFULSET", "StatefulSet", "statefulsets"),
  REPLICASET: info("REPLICASET", "ReplicaSet", "replicasets"),
  JOB: info("JOB", "Job", "jobs"),
};

const BY_PLURAL = new Map(Object.values(KIND_INFO).map((i) => [i.plural, i]));

/** The kind for a REST plural, or undefined for an unknown one. */
export function kindFromPlural(plural: string): KindInfo | undefined {
  return BY_PLURAL.get(plural);
}
