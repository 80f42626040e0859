// Builds the adapter for a mesh name, and finds out which meshes a backend has.

import type { InstantQuerier } from "../prometheus/client.ts";
import type { MeshAdapter, MeshName } from "./adapter.ts";
import { MESH_NAMES } from "./adapter.ts";
import { ConsulAdapter } from "./consul/spec.ts";
import type { WorkloadResolver } from "./infer.ts";
import { IstioAdapter } from "./istio/spec.ts";
import { LinkerdAdapter } from "./linkerd/spec.ts";

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
