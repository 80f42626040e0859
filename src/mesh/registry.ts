// Builds the adapter for a mesh name, and finds out which meshes a backend has.

import type { InstantQuerier } from "../prometheus/client.ts";
import type { MeshAdapter, MeshName } from "./adapter.ts";
import { MESH_NAMES } from "./adapter.ts";
import { ConsulAdapter } from "./consul/adapter.ts";
import { CONSUL, DOWNSTREAM_TIME_BUCKETS, DOWNSTREAM_XX, UPSTREAM_XX } from "./consul/labels.ts";
import type { WorkloadResolver } from "./infer.ts";
import { IstioAdapter } from "./istio/adapter.ts";
import { DURATION_BUCKETS as ISTIO_DURATION_BUCKETS, ISTIO, REQUESTS as ISTIO_REQUESTS } from "./istio/labels.ts";
import { LATENCY_BUCKETS as LINKERD_LATENCY_BUCKETS, LinkerdAdapter, RESPONSES as LINKERD_RESPONSES } from "./linkerd/adapter.ts";

type Factory = (backend: InstantQuerier, resolver: WorkloadResolver | null) => MeshAdapter;

// Linkerd's labels name the workload's kind; Istio's and Consul's need the
// inventory (or pod-name inference without one) to tell kinds apart.
const FACTORIES: Partial<Record<MeshName, Factory>> = {
  linkerd: (backend) => new LinkerdAdapter(backend),
  istio: (backend, resolver) => new IstioAdapter(backend, resolver),
  consul: (backend, resolver) => new ConsulAdapter(backend, resolver),
};

export function supportedMeshes(): MeshName[] {
  return MESH_NAMES.filter((m) => FACTORIES[m] !== undefined);
}

export function createAdapter(mesh: MeshName, backend: InstantQuerier, resolver: WorkloadResolver | null = null): MeshAdapter {
  const factory = FACTORIES[mesh];
  if (!factory) throw new Error(`mesh ${mesh} is not supported yet; supported: ${supportedMeshes().join(", ")}`);
  return factory(backend, resolver);
}

/** The meshes whose metrics the backend holds, in the order of MESH_NAMES. */
export async function detectMeshes(backend: InstantQuerier, at: Date): Promise<MeshName[]> {
  const meshes = supportedMeshes();
  const present = await Promise.all(meshes.map((m) => createAdapter(m, backend).detect(at)));
  return meshes.filter((_, i) => present[i]);
}

/** A series an adapter reads, and the labels it needs on it. */
export interface MeshSeries {
  readonly metric: string;
  readonly labels: readonly string[];
}

/** What `meshql check` looks for in the backend: the adapters own these names. */
export function meshSeries(mesh: MeshName): readonly MeshSeries[] {
  switch (mesh) {
    case "linkerd":
      return [
        { metric: LINKERD_RESPONSES, labels: ["direction", "namespace", "pod", "classification", "tls", "dst_namespace"] },
        { metric: LINKERD_LATENCY_BUCKETS, labels: ["direction", "namespace", "le"] },
      ];
    case "istio":
      return [
        { metric: ISTIO_REQUESTS, labels: [ISTIO.reporter, ISTIO.srcWorkload, ISTIO.srcNamespace, ISTIO.dstWorkload, ISTIO.dstNamespace, ISTIO.responseCode, ISTIO.security] },
        { metric: ISTIO_DURATION_BUCKETS, labels: [ISTIO.reporter, "le"] },
      ];
    case "consul":
      return [
        { metric: DOWNSTREAM_XX, labels: [CONSUL.prefix, CONSUL.codeClass, CONSUL.service, CONSUL.namespace, CONSUL.pod] },
        { metric: UPSTREAM_XX, labels: [CONSUL.dstService, CONSUL.codeClass, CONSUL.namespace, CONSUL.pod] },
        { metric: DOWNSTREAM_TIME_BUCKETS, labels: [CONSUL.prefix, "le"] },
      ];
  }
}
