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

import { bucketAt, countAt, latencySumAt } from "./counters.ts";
import type { HistogramFamily, HistogramSeries, Labels, MeshFormat, MetricFamily, ScalarFamily, ScalarSeries } from "./format.ts";
import type { Flow, Pod, TrafficModel, Workload } from "./model.ts";
import { podSuffixes, podTemplateHash } from "./names.ts";

/** Istio's default buckets for istio_request_duration_milliseconds (Envoy's defaults), in ms; +Inf implied. */
export const ISTIO_LATENCY_BOUNDS_MS: readonly number[] = [
  0.5, 1, 5, 10, 25, 50, 100, 250, 500, 1000, 2500, 5000, 10000, 30000, 60000, 300000, 600000, 1800000, 3600000,
];

/** Request sizes in bytes (istio_request_bytes); only noise here. */
const SIZE_BOUNDS: readonly number[] = [1, 10, 100, 1000, 10000, 100000, 1000000, 10000000];

export const ISTIO_TRUST_DOMAIN = "cluster.local";
const CONTROL_PLANE_NS = "istio-system";
const ISTIO_VERSION = "1.22.3";
const CLUSTER = "Kubernetes";
const UNKNOWN = "unknown";

export function istioPrincipal(w: Workload): string {
  return `spiffe://${ISTIO_TRUST_DOMAIN}/ns/${w.namespace}/sa/${w.serviceAccount}`;
}

/** Labels Prometheus adds to every series of the pod's sidecar (target labels and a few pod labels). */
export function istioPodLabels(pod: Pod): Record<string, string> {
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

function requestLabels(flow: Flow, reporter: "source" | "destination"): Record<string, string> {
  const meshedSource = flow.src.workload.meshed;
  const mtls = flow.edge.tls && meshedSource && flow.dst.workload.meshed;
  const scraped = reporter === "source" ? flow.src : flow.dst;
  return {
    ...istioPodLabels(scraped),
    reporter,
    ...sourceSide(meshedSource ? flow.src.workload : null, mtls),
    ...destinationSide(flow.dst, mtls),
    request_protocol: "http",
    response_code: String(flow.status),
    grpc_response_status: "",
    response_flags: "-",
    connection_security_policy: reporter === "destination" ? (mtls ? "mutual_tls" : "none") : UNKNOWN,
  };
}

// ---- grouping flows into series (shared with the Consul writer) ----

export interface FlowGroup {
  readonly labels: Labels;
  readonly flows: Flow[];
}

/** Flows that land in the same series (same labels) share one, as a sidecar's counters would. */
export function groupFlows(flows: readonly Flow[], labelsOf: (f: Flow) => Labels): FlowGroup[] {
  const groups = new Map<string, FlowGroup>();
  for (const flow of flows) {
    const labels = labelsOf(flow);
    const key = JSON.stringify(Object.entries(labels).sort(([a], [b]) => (a < b ? -1 : 1)));
    let g = groups.get(key);
    if (!g) groups.set(key, (g = { labels, flows: [] }));
    g.flows.push(flow);
  }
  return [...groups.values()];
}

/** A counter of the group's responses, scaled (e.g. bytes per response). */
export function flowCounter(g: FlowGroup, scale = 1): ScalarSeries {
  const flows = g.flows;
  return {
    labels: g.labels,
    value(t) {
      let n = 0;
      for (const f of flows) n += countAt(f.rate * scale, t);
      return n;
    },
  };
}

/** The group's latency histogram over `bounds` (ms). */
export function flowHistogram(g: FlowGroup, bounds: readonly number[]): HistogramSeries {
  const flows = g.flows;
  return {
    labels: g.labels,
    buckets(t) {
      const out = new Array<number>(bounds.length + 1).fill(0);
      for (const f of flows) {
        const count = countAt(f.rate, t);
        for (let i = 0; i < bounds.length; i++) out[i]! += bucketAt(count, f.edge.latency, bounds[i]!);
        out[bounds.length]! += count;
      }
      return out;
    },
    sum(t) {
      let s = 0;
      for (const f of flows) s += latencySumAt(countAt(f.rate, t), f.edge.latency);
      return s;
    },
  };
}

/** A histogram where every observation has the same value (noise such as fixed request sizes). */
export function constantHistogram(g: FlowGroup, bounds: readonly number[], value: number): HistogramSeries {
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

export const constantSeries = (labels: Labels, v: number): ScalarSeries => ({ labels, value: () => v });

/** Process series of a control-plane or proxy process: a CPU counter and a goroutine gauge. */
export function processFamilies(targets: ReadonlyArray<{ labels: Labels; seed: number }>): MetricFamily[] {
  const started = 1_700_000_000;
  return [
    {
      type: "counter",
      name: "process_cpu_seconds_total",
      help: "Total user and system CPU time spent in seconds.",
      series: targets.map((p) => ({ labels: p.labels, value: (t: number) => Math.max(0, Math.floor((t - started) * (3 + (p.seed % 5)))) / 1000 })),
    },
    {
      type: "gauge",
      name: "go_goroutines",
      help: "Number of goroutines that currently exist.",
      series: targets.map((p) => constantSeries(p.labels, 40 + (p.seed % 17))),
    },
  ];
}

/** The pod name a Deployment of the given name would have (for control-plane noise). */
export function deploymentPodName(namespace: string, name: string): string {
  return `${name}-${podTemplateHash(namespace, name)}-${podSuffixes(`${namespace}/${name}`, 1)[0]}`;
}

// ---- families ----

function trafficFamilies(model: TrafficModel): MetricFamily[] {
  const bySource = model.flows.filter((f) => f.src.workload.meshed);
  const byDestination = model.flows.filter((f) => f.dst.workload.meshed);
  const groups = [
    ...groupFlows(bySource, (f) => requestLabels(f, "source")),
    ...groupFlows(byDestination, (f) => requestLabels(f, "destination")),
  ];
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
  const bySource = model.flows.filter((f) => f.src.workload.meshed);
  const byDestination = model.flows.filter((f) => f.dst.workload.meshed);
  const groups = [
    ...groupFlows(bySource, (f) => requestLabels(f, "source")),
    ...groupFlows(byDestination, (f) => requestLabels(f, "destination")),
  ];
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
  /** Leave out request sizes, build info and istiod (smaller backfills). Default false. */
  readonly trafficOnly?: boolean;
}

export function istioFormat(options: IstioFormatOptions = {}): MeshFormat {
  return {
    name: options.trafficOnly ? "istio-traffic" : "istio",
    families: (model) => (options.trafficOnly ? trafficFamilies(model) : [...trafficFamilies(model), ...noiseFamilies(model)]),
  };
}

export const istio: MeshFormat = istioFormat();
