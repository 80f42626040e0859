// The model as Linkerd proxies report it, after Linkerd's Prometheus scrape
// config has added the pod's labels. Each source pod's proxy writes outbound
// series, each destination pod's proxy writes inbound series.
//
// Label decisions (from Linkerd's docs and public code, not copied):
// - the pod's owner label is deployment (+ pod_template_hash), daemonset,
//   statefulset, replicaset (standalone only) or k8s_job; a Deployment's pods
//   carry no replicaset label, their ReplicaSet is `<deployment>-<pod_template_hash>`.
// - outbound destination labels are "dst_" + the same owner label, so a Job
//   destination is `dst_k8s_job` (Linkerd maps the kind Job to "k8s_job" for
//   both sides) and a Deployment destination adds `dst_pod_template_hash`.
// - mTLS: tls="true" with server_id (outbound) / client_id (inbound); without
//   it tls="no_identity" and a no_tls_reason, and inbound has no client_id.

import type { HistogramFamily, Labels, MeshFormat, MetricFamily, ScalarFamily } from "./format.ts";
import {
  bytesReadAt,
  bytesWrittenAt,
  type Connections,
  connectionsClosedAt,
  connectionsOpenAt,
  connectionsOpenedAt,
  type Flow,
  type Pod,
  type TrafficModel,
  type Workload,
  type WorkloadKind,
} from "./model.ts";
import { deploymentPodName, podTemplateHash } from "./names.ts";
import {
  connectionSeries,
  constantSeries,
  flowCounter,
  flowHistogram,
  groupConnections,
  groupFlows,
  PROCESS_START_SECONDS,
  processCpuSeries,
} from "./series.ts";

/** Linkerd's response_latency_ms bucket bounds, in milliseconds (+Inf implied). */
export const LINKERD_LATENCY_BOUNDS_MS: readonly number[] = [
  1, 2, 3, 4, 5, 10, 20, 30, 40, 50, 100, 200, 300, 400, 500, 1000, 2000, 3000, 4000, 5000, 10000, 20000, 30000, 40000, 50000,
];

const LINKERD_TRUST_DOMAIN = "cluster.local";
const CONTROL_PLANE_NS = "linkerd";
const PROXY_VERSION = "stable-2.14.10";

/** The Prometheus label Linkerd uses for a workload kind. */
function linkerdOwnerLabel(kind: WorkloadKind): string {
  switch (kind) {
    case "DEPLOYMENT":
      return "deployment";
    case "DAEMONSET":
      return "daemonset";
    case "STATEFULSET":
      return "statefulset";
    case "REPLICASET":
      return "replicaset";
    case "JOB":
      return "k8s_job";
  }
}

function linkerdIdentity(w: Workload): string {
  return `${w.serviceAccount}.${w.namespace}.serviceaccount.identity.linkerd.${LINKERD_TRUST_DOMAIN}`;
}

function linkerdAuthority(dst: Pod): string {
  const w = dst.workload;
  return w.service ? `${w.service}.${w.namespace}.svc.cluster.local:${w.port}` : `${dst.ip}:${w.port}`;
}

/** Labels every series of a pod's proxy carries once Prometheus scraped it. */
function linkerdPodLabels(pod: Pod): Record<string, string> {
  const w = pod.workload;
  const labels: Record<string, string> = {
    namespace: pod.namespace,
    pod: pod.name,
    [linkerdOwnerLabel(w.kind)]: w.name,
  };
  if (w.podTemplateHash) labels.pod_template_hash = w.podTemplateHash;
  labels.control_plane_ns = CONTROL_PLANE_NS;
  labels.workload_ns = pod.namespace;
  labels.job = "linkerd-proxy";
  labels.instance = `${pod.ip}:4191`;
  return labels;
}

/** A request's or a connection's labels on the client's proxy. */
type Hop = Pick<Flow, "src" | "dst" | "edge">;

function outboundLabels(flow: Hop): Record<string, string> {
  const dst = flow.dst;
  const w = dst.workload;
  const labels: Record<string, string> = {
    ...linkerdPodLabels(flow.src),
    direction: "outbound",
    authority: linkerdAuthority(dst),
    dst_namespace: dst.namespace,
    dst_pod: dst.name,
    [`dst_${linkerdOwnerLabel(w.kind)}`]: w.name,
  };
  if (w.podTemplateHash) labels.dst_pod_template_hash = w.podTemplateHash;
  if (w.service) labels.dst_service = w.service;
  labels.dst_serviceaccount = w.serviceAccount;
  if (w.meshed) labels.dst_control_plane_ns = CONTROL_PLANE_NS;
  if (flow.edge.tls && w.meshed) {
    labels.tls = "true";
    labels.server_id = linkerdIdentity(w);
  } else {
    labels.tls = "no_identity";
    labels.no_tls_reason = "not_provided_by_service_discovery";
  }
  return labels;
}

function inboundLabels(flow: Hop): Record<string, string> {
  const labels: Record<string, string> = {
    ...linkerdPodLabels(flow.dst),
    direction: "inbound",
    authority: linkerdAuthority(flow.dst),
  };
  if (flow.edge.tls && flow.src.workload.meshed) {
    labels.tls = "true";
    labels.client_id = linkerdIdentity(flow.src.workload);
  } else {
    labels.tls = "no_identity";
    labels.no_tls_reason = "no_tls_from_remote";
  }
  return labels;
}

function responseLabels(base: Labels, status: number): Record<string, string> {
  return { ...base, classification: status >= 500 && status <= 599 ? "failure" : "success", status_code: String(status) };
}

function trafficFamilies(model: TrafficModel): MetricFamily[] {
  const outbound = model.flows.filter((f) => f.src.workload.meshed);
  const inbound = model.flows.filter((f) => f.dst.workload.meshed);
  const requestGroups = [...groupFlows(outbound, outboundLabels), ...groupFlows(inbound, inboundLabels)];
  const responseGroups = [
    ...groupFlows(outbound, (f) => responseLabels(outboundLabels(f), f.status)),
    ...groupFlows(inbound, (f) => responseLabels(inboundLabels(f), f.status)),
  ];
  const request: ScalarFamily = {
    type: "counter",
    name: "request_total",
    help: "Total count of HTTP requests.",
    series: requestGroups.map(flowCounter),
  };
  const response: ScalarFamily = {
    type: "counter",
    name: "response_total",
    help: "Total count of HTTP responses.",
    series: responseGroups.map(flowCounter),
  };
  const latency: HistogramFamily = {
    type: "histogram",
    name: "response_latency_ms",
    help: "Elapsed times between a request's headers being received and its response stream completing",
    bounds: LINKERD_LATENCY_BOUNDS_MS,
    series: responseGroups.map((g) => flowHistogram(g, LINKERD_LATENCY_BOUNDS_MS)),
  };
  return [request, response, latency];
}

// Pods of a small control plane, present only through process metrics, so
// they add realistic series without adding traffic the model does not know.
function controlPlanePods(model: TrafficModel): Array<{ labels: Labels; seed: number }> {
  if (model.namespaces.includes(CONTROL_PLANE_NS)) return [];
  return ["linkerd-destination", "linkerd-identity", "linkerd-proxy-injector"].map((name, i) => ({
    labels: {
      namespace: CONTROL_PLANE_NS,
      pod: deploymentPodName(CONTROL_PLANE_NS, name),
      deployment: name,
      pod_template_hash: podTemplateHash(CONTROL_PLANE_NS, name),
      control_plane_ns: CONTROL_PLANE_NS,
      workload_ns: CONTROL_PLANE_NS,
      job: "linkerd-proxy",
      instance: `10.41.0.${i + 2}:4191`,
    },
    seed: i + 1,
  }));
}

/**
 * Transport metrics, per connection direction and peer: the server's proxy
 * counts its clients' connections (inbound, peer="src"), the client's proxy
 * its connections to servers (outbound, peer="dst"), where what it writes is
 * what the server reads.
 */
function tcpFamilies(model: TrafficModel): MetricFamily[] {
  const tcpLabels = (base: Record<string, string>, peer: string): Labels => {
    const { authority: _, ...rest } = base;
    return { ...rest, peer };
  };
  const inbound = groupConnections(
    model.connections.filter((c) => c.dst.workload.meshed),
    (c) => tcpLabels(inboundLabels(c), "src"),
  );
  const outbound = groupConnections(
    model.connections.filter((c) => c.src.workload.meshed),
    (c) => tcpLabels(outboundLabels(c), "dst"),
  );
  const both = (server: (c: Connections, t: number) => number, client: (c: Connections, t: number) => number) => [
    ...connectionSeries(inbound, server),
    ...connectionSeries(outbound, client),
  ];
  return [
    {
      type: "gauge",
      name: "tcp_open_connections",
      help: "Number of currently-open connections",
      series: both(connectionsOpenAt, connectionsOpenAt),
    },
    {
      type: "counter",
      name: "tcp_read_bytes_total",
      help: "Total count of bytes read from peers",
      series: both(bytesReadAt, bytesWrittenAt),
    },
    {
      type: "counter",
      name: "tcp_write_bytes_total",
      help: "Total count of bytes written to peers",
      series: both(bytesWrittenAt, bytesReadAt),
    },
    {
      type: "counter",
      name: "tcp_open_total",
      help: "Total count of opened connections",
      series: both(connectionsOpenedAt, connectionsOpenedAt),
    },
    {
      type: "counter",
      name: "tcp_close_total",
      help: "Total count of closed connections",
      series: both(connectionsClosedAt, connectionsClosedAt),
    },
  ];
}

/** Process and build series: realistic noise a query must not pick up by accident. */
function noiseFamilies(model: TrafficModel): MetricFamily[] {
  const meshedPods = model.pods.filter((p) => p.workload.meshed);
  const proxies = [...meshedPods.map((p, i) => ({ labels: linkerdPodLabels(p) as Labels, seed: 100 + i })), ...controlPlanePods(model)];
  const families: MetricFamily[] = [
    {
      type: "gauge",
      name: "process_start_time_seconds",
      help: "Time that the process started (in seconds since the UNIX epoch)",
      series: proxies.map((p) => constantSeries(p.labels, PROCESS_START_SECONDS + p.seed)),
    },
    {
      type: "counter",
      name: "process_cpu_seconds_total",
      help: "Total user and system CPU time spent in seconds.",
      series: proxies.map((p) => processCpuSeries(p.labels, 2 + (p.seed % 7))),
    },
    {
      type: "gauge",
      name: "process_resident_memory_bytes",
      help: "Resident memory size in bytes.",
      series: proxies.map((p) => constantSeries(p.labels, 18_000_000 + (p.seed % 13) * 524_288)),
    },
    {
      type: "gauge",
      name: "proxy_build_info",
      help: "Proxy build info",
      series: proxies.map((p) => constantSeries({ ...p.labels, version: PROXY_VERSION, vendor: "Linkerd" }, 1)),
    },
  ];

  return families;
}

export interface LinkerdFormatOptions {
  /** Leave out TCP, process and build series (smaller backfills). Default false. */
  readonly trafficOnly?: boolean;
}

export function linkerdFormat(options: LinkerdFormatOptions = {}): MeshFormat {
  return {
    name: options.trafficOnly ? "linkerd-traffic" : "linkerd",
    source: import.meta.url,
    families: (model) =>
      options.trafficOnly ? trafficFamilies(model) : [...trafficFamilies(model), ...tcpFamilies(model), ...noiseFamilies(model)],
  };
}

export const linkerd: MeshFormat = linkerdFormat();
