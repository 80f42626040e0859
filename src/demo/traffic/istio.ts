// The model as Istio (telemetry v2) sidecars report it, after Prometheus'
// kubernetes-pods scrape has added the proxy's namespace, pod and pod labels.
// Each request is written twice: by the client's sidecar (reporter="source")
// and by the server's (reporter="destination"), each only when that side is
// meshed, so an unmeshed client shows up as "unknown" on the destination side.
//
// Label decisions (from Istio's standard-metrics docs, not copied):
// - workload names carry no kind; a Deployment's workload is the Deployment
//   (its ReplicaSet's hash is dropped), every other owner keeps its own name.
// - principals are SPIFFE ids `spiffe://cluster.local/ns/<ns>/sa/<sa>` and
//   "unknown" wherever mTLS did not authenticate that side.
// - connection_security_policy is "mutual_tls" or "none" on the destination
//   reporter and "unknown" on the source reporter (the client cannot know).
// - request_protocol "http", grpc_response_status "" and response_flags "-"
//   for plain HTTP responses.

import { countAt } from "./counters.ts";
import type { HistogramFamily, HistogramSeries, Labels, MeshFormat, MetricFamily, ScalarFamily } from "./format.ts";
import {
  bytesReadAt,
  bytesWrittenAt,
  connectionsClosedAt,
  connectionsOpenedAt,
  type Flow,
  type Pod,
  type TrafficModel,
  type Workload,
} from "./model.ts";
import { deploymentPodName } from "./names.ts";
import {
  connectionSeries,
  constantSeries,
  type FlowGroup,
  flowCounter,
  flowHistogram,
  groupConnections,
  groupFlows,
  processFamilies,
} from "./series.ts";

/** Istio's default buckets for istio_request_duration_milliseconds (Envoy's defaults), in ms; +Inf implied. */
export const ISTIO_LATENCY_BOUNDS_MS: readonly number[] = [
  0.5, 1, 5, 10, 25, 50, 100, 250, 500, 1000, 2500, 5000, 10000, 30000, 60000, 300000, 600000, 1800000, 3600000,
];

/** Request sizes in bytes (istio_request_bytes); only noise here. */
const SIZE_BOUNDS: readonly number[] = [1, 10, 100, 1000, 10000, 100000, 1000000, 10000000];

const ISTIO_TRUST_DOMAIN = "cluster.local";
const CONTROL_PLANE_NS = "istio-system";
const ISTIO_VERSION = "1.22.3";
const CLUSTER = "Kubernetes";
const UNKNOWN = "unknown";

function istioPrincipal(w: Workload): string {
  return `spiffe://${ISTIO_TRUST_DOMAIN}/ns/${w.namespace}/sa/${w.serviceAccount}`;
}

/** Labels Prometheus adds to every series of the pod's sidecar (target labels and a few pod labels). */
function istioPodLabels(pod: Pod): Record<string, string> {
  const w = pod.workload;
  const labels: Record<string, string> = { namespace: pod.namespace, pod: pod.name, app: w.name };
  if (w.podTemplateHash) labels.pod_template_hash = w.podTemplateHash;
  labels.security_istio_io_tlsMode = "istio";
  labels.service_istio_io_canonical_name = w.name;
  labels.service_istio_io_canonical_revision = "latest";
  labels.job = "kubernetes-pods";
  labels.instance = `${pod.ip}:15020`;
  return labels;
}

function sourceSide(w: Workload | null, authenticated: boolean): Record<string, string> {
  if (!w) {
    return {
      source_workload: UNKNOWN,
      source_workload_namespace: UNKNOWN,
      source_principal: UNKNOWN,
      source_app: UNKNOWN,
      source_version: UNKNOWN,
      source_canonical_service: UNKNOWN,
      source_canonical_revision: "latest",
      source_cluster: UNKNOWN,
    };
  }
  return {
    source_workload: w.name,
    source_workload_namespace: w.namespace,
    source_principal: authenticated ? istioPrincipal(w) : UNKNOWN,
    source_app: w.name,
    source_version: "v1",
    source_canonical_service: w.name,
    source_canonical_revision: "v1",
    source_cluster: CLUSTER,
  };
}

function destinationSide(dst: Pod, authenticated: boolean): Record<string, string> {
  const w = dst.workload;
  // Without a Service the request went to the pod IP; Istio names the destination service by it.
  const service = w.service ? `${w.service}.${w.namespace}.svc.cluster.local` : `${dst.ip}:${w.port}`;
  return {
    destination_workload: w.name,
    destination_workload_namespace: w.namespace,
    destination_principal: authenticated ? istioPrincipal(w) : UNKNOWN,
    destination_app: w.name,
    destination_version: "v1",
    destination_service: service,
    destination_service_name: w.service ?? service,
    destination_service_namespace: w.service ? w.namespace : UNKNOWN,
    destination_canonical_service: w.name,
    destination_canonical_revision: "v1",
    destination_cluster: CLUSTER,
  };
}

/** The labels of a request's or a connection's series, by the reporter's sidecar. */
function hopLabels(
  hop: Pick<Flow, "src" | "dst" | "edge">,
  reporter: "source" | "destination",
  protocol: "http" | "tcp",
): Record<string, string> {
  const meshedSource = hop.src.workload.meshed;
  const mtls = hop.edge.tls && meshedSource && hop.dst.workload.meshed;
  const scraped = reporter === "source" ? hop.src : hop.dst;
  return {
    ...istioPodLabels(scraped),
    reporter,
    ...sourceSide(meshedSource ? hop.src.workload : null, mtls),
    ...destinationSide(hop.dst, mtls),
    request_protocol: protocol,
    response_flags: "-",
    connection_security_policy: reporter === "destination" ? (mtls ? "mutual_tls" : "none") : UNKNOWN,
  };
}

function requestLabels(flow: Flow, reporter: "source" | "destination"): Record<string, string> {
  return { ...hopLabels(flow, reporter, "http"), response_code: String(flow.status), grpc_response_status: "" };
}

/**
 * TCP series, written for every edge of the model by both reporters. (A real
 * Istio writes them only for traffic it proxies as TCP: its HTTP services have
 * none, and meshql shows their tcp as null; docs/meshes.md.) Received bytes
 * are the request direction, sent the response's, whichever reporter.
 */
function tcpFamilies(model: TrafficModel): MetricFamily[] {
  const groups = [
    ...groupConnections(
      model.connections.filter((c) => c.src.workload.meshed),
      (c) => hopLabels(c, "source", "tcp"),
    ),
    ...groupConnections(
      model.connections.filter((c) => c.dst.workload.meshed),
      (c) => hopLabels(c, "destination", "tcp"),
    ),
  ];
  return [
    {
      type: "counter",
      name: "istio_tcp_received_bytes_total",
      help: "tcp_received_bytes_total",
      series: connectionSeries(groups, bytesReadAt),
    },
    { type: "counter", name: "istio_tcp_sent_bytes_total", help: "tcp_sent_bytes_total", series: connectionSeries(groups, bytesWrittenAt) },
    {
      type: "counter",
      name: "istio_tcp_connections_opened_total",
      help: "tcp_connections_opened_total",
      series: connectionSeries(groups, connectionsOpenedAt),
    },
    {
      type: "counter",
      name: "istio_tcp_connections_closed_total",
      help: "tcp_connections_closed_total",
      series: connectionSeries(groups, connectionsClosedAt),
    },
  ];
}

/** A histogram where every observation has the same value (noise such as fixed request sizes). */
function constantHistogram(g: FlowGroup, bounds: readonly number[], value: number): HistogramSeries {
  const flows = g.flows;
  const count = (t: number) => flows.reduce((n, f) => n + countAt(f.rate, t), 0);
  return {
    labels: g.labels,
    buckets: (t) => {
      const n = count(t);
      return [...bounds.map((le) => (value <= le ? n : 0)), n];
    },
    sum: (t) => count(t) * value,
  };
}

// ---- families ----

/** Each side's sidecar writes its own series, so a flow between meshed pods lands in two groups. */
function requestGroups(model: TrafficModel): FlowGroup[] {
  const bySource = model.flows.filter((f) => f.src.workload.meshed);
  const byDestination = model.flows.filter((f) => f.dst.workload.meshed);
  return [...groupFlows(bySource, (f) => requestLabels(f, "source")), ...groupFlows(byDestination, (f) => requestLabels(f, "destination"))];
}

function trafficFamilies(model: TrafficModel): MetricFamily[] {
  const groups = requestGroups(model);
  const requests: ScalarFamily = {
    type: "counter",
    name: "istio_requests_total",
    help: "requests_total",
    series: groups.map((g) => flowCounter(g)),
  };
  const duration: HistogramFamily = {
    type: "histogram",
    name: "istio_request_duration_milliseconds",
    help: "request_duration_milliseconds",
    bounds: ISTIO_LATENCY_BOUNDS_MS,
    series: groups.map((g) => flowHistogram(g, ISTIO_LATENCY_BOUNDS_MS)),
  };
  return [requests, duration];
}

/** Request sizes, build info and istiod's own series: a query must not pick them up. */
function noiseFamilies(model: TrafficModel): MetricFamily[] {
  const groups = requestGroups(model);
  const proxies = model.pods.filter((p) => p.workload.meshed).map((p, i) => ({ labels: istioPodLabels(p) as Labels, seed: 100 + i }));
  const istiod = model.namespaces.includes(CONTROL_PLANE_NS)
    ? []
    : [
        {
          labels: {
            namespace: CONTROL_PLANE_NS,
            pod: deploymentPodName(CONTROL_PLANE_NS, "istiod"),
            app: "istiod",
            istio: "pilot",
            job: "kubernetes-pods",
            instance: "10.41.0.2:15014",
          } as Labels,
          seed: 1,
        },
      ];
  return [
    {
      type: "histogram",
      name: "istio_request_bytes",
      help: "request_bytes",
      bounds: SIZE_BOUNDS,
      series: groups.map((g) => constantHistogram(g, SIZE_BOUNDS, 412)),
    },
    {
      type: "gauge",
      name: "istio_build",
      help: "Istio component build info",
      series: [
        ...proxies.map((p) => constantSeries({ ...p.labels, component: "proxy", tag: ISTIO_VERSION }, 1)),
        ...istiod.map((p) => constantSeries({ ...p.labels, component: "pilot", tag: ISTIO_VERSION }, 1)),
      ],
    },
    {
      type: "gauge",
      name: "pilot_xds",
      help: "Number of endpoints connected to this pilot using XDS.",
      series: istiod.map((p) => constantSeries({ ...p.labels, version: ISTIO_VERSION }, proxies.length)),
    },
    ...processFamilies(istiod),
  ];
}

export interface IstioFormatOptions {
  /** Leave out TCP, request sizes, build info and istiod (smaller backfills). Default false. */
  readonly trafficOnly?: boolean;
}

export function istioFormat(options: IstioFormatOptions = {}): MeshFormat {
  return {
    name: options.trafficOnly ? "istio-traffic" : "istio",
    families: (model) =>
      options.trafficOnly ? trafficFamilies(model) : [...trafficFamilies(model), ...tcpFamilies(model), ...noiseFamilies(model)],
  };
}

export const istio: MeshFormat = istioFormat();
