// Builders of real-shaped Kubernetes objects for the loopback API fake. They
// leave out what the fake fills in on create (uid, resourceVersion,
// creationTimestamp, owner uids), as the real API server does.

export type KubeObject = {
  apiVersion: string;
  kind: string;
  metadata: {
    name: string;
    namespace?: string;
    uid?: string;
    resourceVersion?: string;
    creationTimestamp?: string;
    generation?: number;
    labels?: Record<string, string>;
    annotations?: Record<string, string>;
    ownerReferences?: {
      apiVersion: string;
      kind: string;
      name: string;
      uid: string;
      controller?: boolean;
      blockOwnerDeletion?: boolean;
    }[];
  };
  spec?: Record<string, unknown>;
  status?: Record<string, unknown>;
};

export interface OwnerSpec {
  readonly kind: "ReplicaSet" | "Deployment" | "StatefulSet" | "DaemonSet" | "Job" | "CronJob";
  readonly name: string;
}

const API_VERSION: Record<OwnerSpec["kind"], string> = {
  ReplicaSet: "apps/v1",
  Deployment: "apps/v1",
  StatefulSet: "apps/v1",
  DaemonSet: "apps/v1",
  Job: "batch/v1",
  CronJob: "batch/v1",
};

function ownerRefs(owner: OwnerSpec | undefined): KubeObject["metadata"]["ownerReferences"] {
  // uid "" is filled in by the fake from the stored owner.
  return owner
    ? [{ apiVersion: API_VERSION[owner.kind], kind: owner.kind, name: owner.name, uid: "", controller: true, blockOwnerDeletion: true }]
    : undefined;
}

export function namespace(name: string, labels: Record<string, string> = {}): KubeObject {
  return {
    apiVersion: "v1",
    kind: "Namespace",
    metadata: { name, labels: { "kubernetes.io/metadata.name": name, ...labels } },
    spec: { finalizers: ["kubernetes"] },
    status: { phase: "Active" },
  };
}

function podTemplate(labels: Record<string, string>): Record<string, unknown> {
  return {
    metadata: { labels },
    spec: { containers: [{ name: "app", image: "registry.example/app:1", ports: [{ containerPort: 8080, protocol: "TCP" }] }] },
  };
}

function workload(
  apiVersion: string,
  kind: string,
  ns: string,
  name: string,
  labels: Record<string, string>,
  extra: { replicas?: number; owner?: OwnerSpec } = {},
): KubeObject {
  const selectorLabels = { app: labels.app ?? name };
  const spec: Record<string, unknown> = { selector: { matchLabels: selectorLabels }, template: podTemplate(selectorLabels) };
  if (extra.replicas !== undefined) spec.replicas = extra.replicas;
  const metadata: KubeObject["metadata"] = { name, namespace: ns, labels, generation: 1 };
  const refs = ownerRefs(extra.owner);
  if (refs) metadata.ownerReferences = refs;
  return { apiVersion, kind, metadata, spec, status: { observedGeneration: 1 } };
}

export function deployment(ns: string, name: string, labels: Record<string, string> = { app: name }, replicas = 1): KubeObject {
  return workload("apps/v1", "Deployment", ns, name, labels, { replicas });
}

export function replicaSet(ns: string, name: string, deploymentName: string | null, labels: Record<string, string> = {}): KubeObject {
  const owner: OwnerSpec | undefined = deploymentName ? { kind: "Deployment", name: deploymentName } : undefined;
  return workload(
    "apps/v1",
    "ReplicaSet",
    ns,
    name,
    { "pod-template-hash": "5d8f7c9b6", ...labels },
    { replicas: 1, ...(owner ? { owner } : {}) },
  );
}

export function statefulSet(ns: string, name: string, labels: Record<string, string> = { app: name }): KubeObject {
  return workload("apps/v1", "StatefulSet", ns, name, labels, { replicas: 1 });
}

export function daemonSet(ns: string, name: string, labels: Record<string, string> = { app: name }): KubeObject {
  return workload("apps/v1", "DaemonSet", ns, name, labels);
}

export function job(ns: string, name: string, labels: Record<string, string> = { "job-name": name }): KubeObject {
  const o = workload("batch/v1", "Job", ns, name, labels);
  o.spec = { ...o.spec, backoffLimit: 6, completions: 1, parallelism: 1 };
  return o;
}

export interface PodOptions {
  readonly owner?: OwnerSpec;
  readonly labels?: Record<string, string>;
  readonly annotations?: Record<string, string>;
  /** Extra containers next to "app", e.g. "linkerd-proxy". */
  readonly sidecars?: readonly string[];
  /** Native sidecars: init containers with restartPolicy Always. */
  readonly nativeSidecars?: readonly string[];
  readonly phase?: "Pending" | "Running" | "Succeeded" | "Failed";
}

export function pod(ns: string, name: string, o: PodOptions = {}): KubeObject {
  const containers = [
    { name: "app", image: "registry.example/app:1" },
    ...(o.sidecars ?? []).map((n) => ({ name: n, image: `registry.example/${n}:1` })),
  ];
  const spec: Record<string, unknown> = { containers, nodeName: "node-1", restartPolicy: "Always", serviceAccountName: "default" };
  if (o.nativeSidecars?.length) {
    spec.initContainers = o.nativeSidecars.map((n) => ({ name: n, image: `registry.example/${n}:1`, restartPolicy: "Always" }));
  }
  const metadata: KubeObject["metadata"] = { name, namespace: ns, labels: o.labels ?? {} };
  if (o.annotations) metadata.annotations = o.annotations;
  const refs = ownerRefs(o.owner);
  if (refs) metadata.ownerReferences = refs;
  return { apiVersion: "v1", kind: "Pod", metadata, spec, status: { phase: o.phase ?? "Running", podIP: "10.0.0.10" } };
}
