// A mesh-agnostic traffic model: workloads, their pods, and edges between
// workloads. Every counter a mesh writer emits is a pure function of absolute
// unix time (see counters.ts), so tests compute expectations from the model.

import type { ResourceKind } from "../../domain/kinds.ts";
import type { ResourceRef } from "../../domain/resource.ts";
import { countAt } from "./counters.ts";
import { latencyDistribution, type LatencyDistribution, type LatencySpec } from "./latency.ts";
import { podSuffixes, podTemplateHash } from "./names.ts";

export type WorkloadKind = "DEPLOYMENT" | "DAEMONSET" | "STATEFULSET" | "JOB" | "REPLICASET";

export interface WorkloadSpec {
  readonly namespace: string;
  /** Unique within the namespace across all kinds (a simplification of Kubernetes). */
  readonly name: string;
  /** REPLICASET means a standalone ReplicaSet; a Deployment's ReplicaSet comes with the Deployment. */
  readonly kind: WorkloadKind;
  /** Pods; for a DaemonSet, the number of nodes it runs on. */
  readonly replicas: number;
  /** Defaults to the workload's name. */
  readonly serviceAccount?: string;
  /** The Service in front of the pods; defaults to the workload's name, null for none. */
  readonly service?: string | null;
  /** Container port the traffic goes to; 8080 unless given. */
  readonly port?: number;
  /** false: no sidecar; its pods write no metrics (e.g. an external load generator). Default true. */
  readonly meshed?: boolean;
}

export interface WorkloadId {
  readonly namespace: string;
  readonly name: string;
}

/** Weights per HTTP status code; they are normalized to sum to 1. */
export type StatusWeights = Readonly<Record<number, number>>;

export interface EdgeSpec {
  readonly from: WorkloadId;
  readonly to: WorkloadId;
  /** Requests per second over the whole edge, split evenly over source and destination pods. */
  readonly rps: number;
  readonly status: StatusWeights;
  readonly latency: LatencySpec;
  /** Mutual TLS between the sidecars. */
  readonly tls: boolean;
  /** The edge's TCP connections; defaults in DEFAULT_TCP. */
  readonly tcp?: Partial<TcpSpec>;
}

/** How an edge's requests travel over TCP. */
export interface TcpSpec {
  /** Bytes a client sends per request, and a server answers with. */
  readonly requestBytes: number;
  readonly responseBytes: number;
  /** Requests each connection carries before it closes. */
  readonly requestsPerConnection: number;
  /** Seconds a connection stays open. */
  readonly lifetimeSeconds: number;
}

export const DEFAULT_TCP: TcpSpec = { requestBytes: 412, responseBytes: 1187, requestsPerConnection: 20, lifetimeSeconds: 60 };

export interface TopologySpec {
  readonly workloads: readonly WorkloadSpec[];
  readonly edges: readonly EdgeSpec[];
}

export interface Workload {
  readonly namespace: string;
  readonly name: string;
  readonly kind: WorkloadKind;
  readonly replicas: number;
  readonly serviceAccount: string;
  readonly service: string | null;
  readonly port: number;
  readonly meshed: boolean;
  /** Deployments only: the pod-template-hash and the ReplicaSet `name-hash` that owns the pods. */
  readonly podTemplateHash: string | null;
  readonly replicaSet: string | null;
  readonly pods: readonly Pod[];
}

export interface Pod {
  readonly namespace: string;
  readonly name: string;
  readonly ip: string;
  readonly workload: Workload;
}

export interface Edge {
  readonly from: Workload;
  readonly to: Workload;
  readonly rps: number;
  /** Normalized weights, by status code. */
  readonly status: ReadonlyMap<number, number>;
  readonly latency: LatencyDistribution;
  readonly tls: boolean;
  readonly tcp: TcpSpec;
}

/**
 * The TCP connections of one edge from one source pod to one destination pod.
 * Every figure is a pure function of absolute unix time t, as counters are:
 * a connection opened at t closes at t + lifetime.
 */
export interface Connections {
  readonly edge: Edge;
  readonly src: Pod;
  readonly dst: Pod;
  /** Requests per second over these connections. */
  readonly rps: number;
}

export function connectionsOpenedAt(c: Connections, t: number): number {
  return countAt(c.rps / c.edge.tcp.requestsPerConnection, t);
}

export function connectionsClosedAt(c: Connections, t: number): number {
  return connectionsOpenedAt(c, t - c.edge.tcp.lifetimeSeconds);
}

/** Connections open at t: opened and not yet closed. */
export function connectionsOpenAt(c: Connections, t: number): number {
  return connectionsOpenedAt(c, t) - connectionsClosedAt(c, t);
}

/** Bytes the server read (what the client sent) and wrote, since the epoch. */
export function bytesReadAt(c: Connections, t: number): number {
  return countAt(c.rps * c.edge.tcp.requestBytes, t);
}

export function bytesWrittenAt(c: Connections, t: number): number {
  return countAt(c.rps * c.edge.tcp.responseBytes, t);
}

/** The smallest unit of traffic: one status code from one source pod to one destination pod. */
export interface Flow {
  readonly edge: Edge;
  readonly src: Pod;
  readonly dst: Pod;
  readonly status: number;
  /** Responses per second. */
  readonly rate: number;
}

export interface TrafficModel {
  readonly spec: TopologySpec;
  readonly namespaces: readonly string[];
  readonly workloads: readonly Workload[];
  readonly pods: readonly Pod[];
  readonly edges: readonly Edge[];
  readonly flows: readonly Flow[];
  readonly connections: readonly Connections[];
}

/** Success is anything but a 5xx: a 404 is the server answering correctly. */
export function isSuccess(status: number): boolean {
  return status < 500 || status > 599;
}

export function buildModel(spec: TopologySpec): TrafficModel {
  const workloads: Workload[] = [];
  const byId = new Map<string, Workload>();
  let podIndex = 0;
  for (const ws of spec.workloads) {
    const key = `${ws.namespace}/${ws.name}`;
    if (byId.has(key)) throw new Error(`workload ${key} is defined twice`);
    if (!Number.isInteger(ws.replicas) || ws.replicas < 0) throw new Error(`workload ${key}: replicas must be a whole number`);
    const hash = ws.kind === "DEPLOYMENT" ? podTemplateHash(ws.namespace, ws.name) : null;
    const pods: Pod[] = [];
    const workload: Workload = {
      namespace: ws.namespace,
      name: ws.name,
      kind: ws.kind,
      replicas: ws.replicas,
      serviceAccount: ws.serviceAccount ?? ws.name,
      service: ws.service === undefined ? ws.name : ws.service,
      port: ws.port ?? 8080,
      meshed: ws.meshed ?? true,
      podTemplateHash: hash,
      replicaSet: hash ? `${ws.name}-${hash}` : null,
      pods,
    };
    for (const name of podNames(ws, hash)) {
      const n = podIndex++;
      pods.push({ namespace: ws.namespace, name, ip: `10.42.${Math.floor(n / 250)}.${(n % 250) + 2}`, workload });
    }
    workloads.push(workload);
    byId.set(key, workload);
  }

  const find = (id: WorkloadId, role: string): Workload => {
    const w = byId.get(`${id.namespace}/${id.name}`);
    if (!w) throw new Error(`edge ${role} ${id.namespace}/${id.name} is not a workload of the topology`);
    return w;
  };
  const edges: Edge[] = [];
  const flows: Flow[] = [];
  const connections: Connections[] = [];
  for (const es of spec.edges) {
    const from = find(es.from, "source");
    const to = find(es.to, "destination");
    if (!(es.rps > 0)) throw new Error(`edge ${from.name} -> ${to.name}: rps must be positive`);
    const total = Object.values(es.status).reduce((a, b) => a + b, 0);
    if (!(total > 0)) throw new Error(`edge ${from.name} -> ${to.name}: status weights must sum to more than 0`);
    const status = new Map<number, number>();
    for (const [code, weight] of Object.entries(es.status)) {
      if (weight > 0) status.set(Number(code), weight / total);
    }
    const edge: Edge = {
      from,
      to,
      rps: es.rps,
      status,
      latency: latencyDistribution(es.latency),
      tls: es.tls,
      tcp: { ...DEFAULT_TCP, ...es.tcp },
    };
    edges.push(edge);
    const pairs = from.pods.length * to.pods.length;
    for (const src of from.pods) {
      for (const dst of to.pods) {
        for (const [code, weight] of status) flows.push({ edge, src, dst, status: code, rate: (es.rps * weight) / pairs });
        connections.push({ edge, src, dst, rps: es.rps / pairs });
      }
    }
  }
  const namespaces = [...new Set(workloads.map((w) => w.namespace))].sort();
  return { spec, namespaces, workloads, pods: workloads.flatMap((w) => w.pods), edges, flows, connections };
}

function podNames(ws: WorkloadSpec, hash: string | null): string[] {
  if (ws.kind === "STATEFULSET") return Array.from({ length: ws.replicas }, (_, i) => `${ws.name}-${i}`);
  const prefix = hash ? `${ws.name}-${hash}` : ws.name;
  return podSuffixes(`${ws.namespace}/${prefix}`, ws.replicas).map((s) => `${prefix}-${s}`);
}

/** The resources of `kind` that contain the pod; a Deployment's pod also belongs to its ReplicaSet. */
export function ownerRef(pod: Pod, kind: ResourceKind): ResourceRef | null {
  const w = pod.workload;
  switch (kind) {
    case "NAMESPACE":
      return { kind, namespace: null, name: pod.namespace };
    case "POD":
      return { kind, namespace: pod.namespace, name: pod.name };
    case "REPLICASET":
      if (w.kind === "DEPLOYMENT") return { kind, namespace: w.namespace, name: w.replicaSet! };
      return w.kind === "REPLICASET" ? { kind, namespace: w.namespace, name: w.name } : null;
    default:
      return w.kind === kind ? { kind, namespace: w.namespace, name: w.name } : null;
  }
}

/** Whether the pod belongs to the resource. */
export function podIn(pod: Pod, ref: ResourceRef): boolean {
  const owner = ownerRef(pod, ref.kind);
  return owner !== null && owner.name === ref.name && owner.namespace === ref.namespace;
}

export function podsOf(model: TrafficModel, ref: ResourceRef): Pod[] {
  return model.pods.filter((p) => podIn(p, ref));
}

/**
 * Every resource of a kind that exists in the model, idle or not, optionally
 * in one namespace (NAMESPACE refs have namespace null and are filtered by name).
 */
export function resourcesOf(model: TrafficModel, kind: ResourceKind, namespace: string | null = null): ResourceRef[] {
  const seen = new Map<string, ResourceRef>();
  for (const pod of model.pods) {
    const ref = ownerRef(pod, kind);
    if (!ref) continue;
    const ns = ref.namespace ?? ref.name;
    if (namespace !== null && ns !== namespace) continue;
    seen.set(`${ref.namespace ?? ""}/${ref.name}`, ref);
  }
  // Namespaces exist even when every workload in them has zero replicas.
  if (kind === "NAMESPACE") {
    for (const ns of model.namespaces) {
      if (namespace === null || ns === namespace) seen.set(`/${ns}`, { kind, namespace: null, name: ns });
    }
  }
  return [...seen.values()].sort((a, b) => (a.namespace ?? "").localeCompare(b.namespace ?? "") || a.name.localeCompare(b.name));
}

export function workloadOf(model: TrafficModel, id: WorkloadId): Workload {
  const w = model.workloads.find((x) => x.namespace === id.namespace && x.name === id.name);
  if (!w) throw new Error(`no workload ${id.namespace}/${id.name}`);
  return w;
}

/** The ResourceRef of a workload (DEPLOYMENT, STATEFULSET, ...). */
export function workloadRef(w: Workload): ResourceRef {
  return { kind: w.kind, namespace: w.namespace, name: w.name };
}
