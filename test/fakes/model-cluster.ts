// The Kubernetes objects of a traffic model's workloads, for the loopback API
// server: each workload, a Deployment's ReplicaSet, and the pods, owned as
// Kubernetes owns them, with the mesh's sidecar where the workload is meshed.

import type { Workload } from "../../src/demo/traffic/model.ts";
import { daemonSet, deployment, job, type KubeObject, type OwnerSpec, pod, replicaSet, statefulSet } from "./kube-objects.ts";

export function objectsOf(w: Workload, sidecar = "linkerd-proxy"): KubeObject[] {
  const labels = { app: w.name, tier: w.name === "frontend" ? "web" : "backend" };
  const sidecars = w.meshed ? [sidecar] : [];
  const pods = (owner: OwnerSpec) => w.pods.map((p) => pod(w.namespace, p.name, { owner, labels: { app: w.name }, sidecars }));
  switch (w.kind) {
    case "DEPLOYMENT":
      return [
        deployment(w.namespace, w.name, labels, w.replicas),
        replicaSet(w.namespace, w.replicaSet!, w.name, { app: w.name, "pod-template-hash": w.podTemplateHash! }),
        ...pods({ kind: "ReplicaSet", name: w.replicaSet! }),
      ];
    case "REPLICASET":
      return [replicaSet(w.namespace, w.name, null, labels), ...pods({ kind: "ReplicaSet", name: w.name })];
    case "STATEFULSET":
      return [statefulSet(w.namespace, w.name, labels), ...pods({ kind: "StatefulSet", name: w.name })];
    case "DAEMONSET":
      return [daemonSet(w.namespace, w.name, labels), ...pods({ kind: "DaemonSet", name: w.name })];
    case "JOB":
      return [job(w.namespace, w.name, labels), ...pods({ kind: "Job", name: w.name })];
  }
}
