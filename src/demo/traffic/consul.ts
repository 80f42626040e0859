// The model as Consul service mesh's Envoy sidecars report it, after
// Prometheus has scraped each pod's merged metrics endpoint and added the
// pod's namespace and name. The server's sidecar counts inbound requests on
// its public listener (without knowing the caller); the client's sidecar
// counts them per upstream cluster (naming the destination service).
//
// Decisions (from Consul's and Envoy's docs, not copied):
// - a workload's Consul service is its Kubernetes Service's name, or the
//   workload's name when it has none (as if annotated with
//   consul.hashicorp.com/connect-service);
// - Consul namespaces mirror Kubernetes namespaces (consul_*_namespace equal
//   the pods' namespaces, consul-k8s' mirroring on Consul Enterprise), or,
//   with `namespaces: "oss"`, every service is in Consul's `default`
//   namespace as on Consul OSS, which has no namespaces, while Prometheus'
//   `namespace` and `pod` labels still name the scraped pod; one datacenter
//   "dc1", partition "default";
// - Consul connect is mTLS between sidecars whatever the model's edge says;
//   an unmeshed client reaches the server as through permissive mTLS mode,
//   so the server's public listener counts it and no client sidecar does;
// - Envoy's `_rq_completed` and `_rq_xx` stats carry no `_total` suffix.
//   OpenMetrics reserves counters for names ending in `_total`, so they are
//   declared gauges here; the TSDB stores no type, queries see the same data;
// - extra realism a query must not pick up: the `local_app` cluster (the
//   server sidecar's hop to its own app, counting every inbound request a
//   second time), the metrics listener's own HTTP stats, and Consul's servers.

import { countAt } from "./counters.ts";
import type { HistogramFamily, HistogramSeries, Labels, MeshFormat, MetricFamily, ScalarSeries } from "./format.ts";
import {
  bytesReadAt,
  bytesWrittenAt,
  connectionsClosedAt,
  connectionsOpenAt,
  connectionsOpenedAt,
  type Flow,
  type Pod,
  type TrafficModel,
  type Workload,
} from "./model.ts";
import { deploymentPodName } from "./names.ts";
import { connectionSeries, constantSeries, flowCounter, flowHistogram, groupConnections, groupFlows, processFamilies } from "./series.ts";

/** Envoy's default histogram buckets, used by `_rq_time`, in ms; +Inf implied. */
export const ENVOY_LATENCY_BOUNDS_MS: readonly number[] = [
  0.5, 1, 5, 10, 25, 50, 100, 250, 500, 1000, 2500, 5000, 10000, 30000, 60000, 300000, 600000, 1800000, 3600000,
];

const CONSUL_DATACENTER = "dc1";
const CONTROL_PLANE_NS = "consul";
const TRUST_DOMAIN = "7c5e1c6e-0000-4000-8000-00000000d0d0.consul";
const PUBLIC_LISTENER = "public_listener";
const METRICS_LISTENER = "envoy_prometheus_metrics";
const SCRAPE_INTERVAL_SECONDS = 10;

/** The Consul service a workload's pods register as. */
export function consulService(w: Workload): string {
  return w.service ?? w.name;
}

/** How Consul namespaces relate to Kubernetes namespaces. */
export type ConsulNamespaces = "enterprise" | "oss";

/** The Consul namespace a workload's service registers in. */
function consulNamespace(w: Workload, namespaces: ConsulNamespaces): string {
  return namespaces === "oss" ? "default" : w.namespace;
}

/** Labels of every series of the pod's sidecar: Prometheus' target labels and Consul's static Envoy tags. */
function consulPodLabels(pod: Pod, namespaces: ConsulNamespaces): Record<string, string> {
  const service = consulService(pod.workload);
  return {
    namespace: pod.namespace,
    pod: pod.name,
    app: pod.workload.name,
    job: "kubernetes-pods",
    instance: `${pod.ip}:20200`,
    local_cluster: service,
    consul_source_service: service,
    consul_source_namespace: consulNamespace(pod.workload, namespaces),
    consul_source_partition: "default",
    consul_source_datacenter: CONSUL_DATACENTER,
  };
}

const codeClass = (status: number): string => String(Math.floor(status / 100));

function downstream(flow: Flow, namespaces: ConsulNamespaces): Record<string, string> {
  return { ...consulPodLabels(flow.dst, namespaces), envoy_http_conn_manager_prefix: PUBLIC_LISTENER };
}

type Hop = Pick<Flow, "src" | "dst">;

function localApp(flow: Hop, namespaces: ConsulNamespaces): Record<string, string> {
  return { ...consulPodLabels(flow.dst, namespaces), envoy_cluster_name: "local_app" };
}

function upstream(flow: Hop, namespaces: ConsulNamespaces): Record<string, string> {
  const w = flow.dst.workload;
  const service = consulService(w);
  return {
    ...consulPodLabels(flow.src, namespaces),
    envoy_cluster_name: service,
    consul_destination_service: service,
    consul_destination_namespace: consulNamespace(w, namespaces),
    consul_destination_partition: "default",
    consul_destination_datacenter: CONSUL_DATACENTER,
    consul_destination_routing_type: "internal",
    consul_destination_trust_domain: TRUST_DOMAIN,
  };
}

const withClass =
  (labelsOf: (f: Flow) => Record<string, string>) =>
  (f: Flow): Labels => ({ ...labelsOf(f), envoy_response_code_class: codeClass(f.status) });

/** Collects series per family name, so several sources (traffic, scrapes) can share a family. */
class Families {
  private readonly scalars = new Map<string, { type: "counter" | "gauge"; help: string; series: ScalarSeries[] }>();
  private readonly histograms = new Map<string, { help: string; series: HistogramSeries[] }>();

  scalar(type: "counter" | "gauge", name: string, help: string, series: readonly ScalarSeries[]): void {
    const f = this.scalars.get(name) ?? { type, help, series: [] };
    f.series.push(...series);
    this.scalars.set(name, f);
  }

  histogram(name: string, help: string, series: readonly HistogramSeries[]): void {
    const f = this.histograms.get(name) ?? { help, series: [] };
    f.series.push(...series);
    this.histograms.set(name, f);
  }

  list(): MetricFamily[] {
    const out: MetricFamily[] = [];
    for (const [name, f] of this.scalars) out.push({ type: f.type, name, help: f.help, series: f.series });
    for (const [name, f] of this.histograms) {
      const h: HistogramFamily = { type: "histogram", name, help: f.help, bounds: ENVOY_LATENCY_BOUNDS_MS, series: f.series };
      out.push(h);
    }
    return out;
  }
}

/** The stats of one HTTP hop, Envoy style: per class, completed, total and the time histogram. */
function addHop(
  out: Families,
  stat: "http_downstream" | "cluster_upstream",
  flows: readonly Flow[],
  labelsOf: (f: Flow) => Record<string, string>,
): void {
  const base = `envoy_${stat}_rq`;
  const byClass = groupFlows(flows, withClass(labelsOf));
  const all = groupFlows(flows, labelsOf);
  out.scalar(
    "gauge",
    `${base}_xx`,
    `Envoy ${stat} requests by response code class`,
    byClass.map((g) => flowCounter(g)),
  );
  out.scalar(
    "gauge",
    `${base}_completed`,
    `Envoy ${stat} completed requests`,
    all.map((g) => flowCounter(g)),
  );
  out.scalar(
    "counter",
    `${base}_total`,
    `Envoy ${stat} requests`,
    all.map((g) => flowCounter(g)),
  );
  out.histogram(
    `${base}_time`,
    `Envoy ${stat} request time (ms)`,
    all.map((g) => flowHistogram(g, ENVOY_LATENCY_BOUNDS_MS)),
  );
}

/**
 * Connection stats of the clusters: the server sidecar's `local_app` (it sends
 * its app what clients sent) and each client sidecar's upstream (it sends
 * what the server reads). Envoy's `_cx_destroy` and `_cx_active` carry no
 * `_total`: declared gauges, as for `_rq_xx`.
 */
function addConnections(out: Families, model: TrafficModel, namespaces: ConsulNamespaces): void {
  const groups = [
    ...groupConnections(
      model.connections.filter((c) => c.dst.workload.meshed),
      (c) => localApp(c, namespaces),
    ),
    ...groupConnections(
      model.connections.filter((c) => c.src.workload.meshed),
      (c) => upstream(c, namespaces),
    ),
  ];
  out.scalar("gauge", "envoy_cluster_upstream_cx_active", "Envoy cluster active connections", connectionSeries(groups, connectionsOpenAt));
  out.scalar("counter", "envoy_cluster_upstream_cx_total", "Envoy cluster connections", connectionSeries(groups, connectionsOpenedAt));
  out.scalar(
    "gauge",
    "envoy_cluster_upstream_cx_destroy",
    "Envoy cluster destroyed connections",
    connectionSeries(groups, connectionsClosedAt),
  );
  out.scalar("counter", "envoy_cluster_upstream_cx_tx_bytes_total", "Envoy cluster bytes sent", connectionSeries(groups, bytesReadAt));
  out.scalar(
    "counter",
    "envoy_cluster_upstream_cx_rx_bytes_total",
    "Envoy cluster bytes received",
    connectionSeries(groups, bytesWrittenAt),
  );
}

function build(model: TrafficModel, trafficOnly: boolean, namespaces: ConsulNamespaces): MetricFamily[] {
  const out = new Families();
  const inbound = model.flows.filter((f) => f.dst.workload.meshed);
  const outbound = model.flows.filter((f) => f.src.workload.meshed);
  addHop(out, "http_downstream", inbound, (f) => downstream(f, namespaces));
  addHop(out, "cluster_upstream", outbound, (f) => upstream(f, namespaces));
  if (trafficOnly) return out.list();

  addHop(out, "cluster_upstream", inbound, (f) => localApp(f, namespaces));
  addConnections(out, model, namespaces);
  // Prometheus' own scrapes of each sidecar: one 2xx request per scrape interval on the metrics listener.
  const sidecars = model.pods.filter((p) => p.workload.meshed);
  const scrapes = sidecars.map((p) => ({ ...consulPodLabels(p, namespaces), envoy_http_conn_manager_prefix: METRICS_LISTENER }));
  const perScrape = (labels: Labels): ScalarSeries => ({ labels, value: (t: number) => countAt(1 / SCRAPE_INTERVAL_SECONDS, t) });
  out.scalar(
    "gauge",
    "envoy_http_downstream_rq_xx",
    "",
    scrapes.map((l) => perScrape({ ...l, envoy_response_code_class: "2" })),
  );
  out.scalar("gauge", "envoy_http_downstream_rq_completed", "", scrapes.map(perScrape));
  out.scalar(
    "gauge",
    "envoy_server_live",
    "Envoy server liveness",
    sidecars.map((p) => constantSeries(consulPodLabels(p, namespaces), 1)),
  );
  out.scalar(
    "gauge",
    "envoy_control_plane_connected_state",
    "Envoy xDS connection state",
    sidecars.map((p) => constantSeries(consulPodLabels(p, namespaces), 1)),
  );

  if (!model.namespaces.includes(CONTROL_PLANE_NS)) {
    const servers = [0, 1, 2].map((i) => ({
      labels: {
        namespace: CONTROL_PLANE_NS,
        pod: `consul-server-${i}`,
        app: "consul",
        component: "server",
        job: "kubernetes-pods",
        instance: `10.41.1.${i + 2}:8500`,
      },
      seed: i + 1,
    }));
    const injector = {
      labels: {
        namespace: CONTROL_PLANE_NS,
        pod: deploymentPodName(CONTROL_PLANE_NS, "consul-connect-injector"),
        app: "consul",
        component: "connect-injector",
        job: "kubernetes-pods",
        instance: "10.41.1.9:8080",
      },
      seed: 7,
    };
    for (const f of processFamilies([...servers, injector])) {
      if (f.type !== "histogram") out.scalar(f.type, f.name, f.help, f.series);
    }
    out.scalar(
      "gauge",
      "consul_server_isLeader",
      "Whether this Consul server is the raft leader",
      servers.map((s, i) => constantSeries(s.labels, i === 0 ? 1 : 0)),
    );
  }
  return out.list();
}

export interface ConsulFormatOptions {
  /** Leave out local_app, connection, scrape, liveness and Consul server series (smaller backfills). Default false. */
  readonly trafficOnly?: boolean;
  /** "enterprise" (default): Consul namespaces mirror Kubernetes ones. "oss": every service is in Consul's `default`. */
  readonly namespaces?: ConsulNamespaces;
}

export function consulFormat(options: ConsulFormatOptions = {}): MeshFormat {
  const trafficOnly = options.trafficOnly ?? false;
  const namespaces = options.namespaces ?? "enterprise";
  // The name keys backfill caches, so each variant has its own.
  const name = ["consul", ...(namespaces === "oss" ? ["oss"] : []), ...(trafficOnly ? ["traffic"] : [])].join("-");
  return { name, families: (model) => build(model, trafficOnly, namespaces) };
}

export const consul: MeshFormat = consulFormat();
