// Builds the adapter for a mesh name, and finds out which meshes a backend has.

import type { InstantQuerier } from "../prometheus/client.ts";
import type { MeshAdapter, MeshName } from "./adapter.ts";
import { MESH_NAMES } from "./adapter.ts";
import { CONSUL_SPEC, ConsulAdapter } from "./consul/spec.ts";
import type { WorkloadResolver } from "./infer.ts";
import { ISTIO_SPEC, IstioAdapter } from "./istio/spec.ts";
import { LINKERD_SPEC, LinkerdAdapter } from "./linkerd/spec.ts";
import type { MeshSpec, Series } from "./spec.ts";

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

export interface MeshSeries {
  readonly metric: string;
  readonly labels: readonly string[];
}

/**
 * What `meshql check` looks for in the backend: the golden series of a mesh's
 * resource and edge views, with the labels the engine filters and groups them
 * by. Derived from the spec, so a new mesh needs nothing here.
 */
export function meshSeries(mesh: MeshName): readonly MeshSeries[] {
  switch (mesh) {
    case "linkerd":
      return seriesOf(LINKERD_SPEC);
    case "istio":
      return seriesOf(ISTIO_SPEC);
    case "consul":
      return seriesOf(CONSUL_SPEC);
  }
}

function seriesOf<D>(spec: MeshSpec<D>): MeshSeries[] {
  const byMetric = new Map<string, Set<string>>();
  const need = (series: Series | undefined, labels: readonly string[]): void => {
    if (!series) return;
    const set = byMetric.get(series.metric) ?? new Set<string>();
    for (const label of [...series.filters.map((m) => m.label), ...labels]) set.add(label);
    byMetric.set(series.metric, set);
  };
  for (const view of [spec.resource, spec.edge] as const) {
    const ends = view.ends.flatMap((end) => end.group("NAMESPACE"));
    const mtls = view === spec.edge && spec.mtls.from === "counts" ? [spec.mtls.label] : [];
    need(view.rows.golden?.counts, [...spec.success.labels, ...mtls, ...ends]);
    need(view.rows.golden?.latency, ["le", ...ends]);
  }
  return [...byMetric].map(([metric, labels]) => ({ metric, labels: [...labels] }));
}
