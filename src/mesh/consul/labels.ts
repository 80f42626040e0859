// Consul service mesh: the Envoy stats its sidecars export, with the tags
// Consul configures, and the labels Prometheus adds to each scraped pod.

/** Inbound: the public listener's HTTP connection manager. */
export const DOWNSTREAM_XX = "envoy_http_downstream_rq_xx";
export const DOWNSTREAM_COMPLETED = "envoy_http_downstream_rq_completed";
export const DOWNSTREAM_TIME_BUCKETS = "envoy_http_downstream_rq_time_bucket";
export const PUBLIC_LISTENER = "public_listener";

/** Outbound: one Envoy cluster per upstream service. */
export const UPSTREAM_XX = "envoy_cluster_upstream_rq_xx";
export const UPSTREAM_COMPLETED = "envoy_cluster_upstream_rq_completed";
export const UPSTREAM_TIME_BUCKETS = "envoy_cluster_upstream_rq_time_bucket";

/** Connections of a cluster (Envoy's cluster stats; no `_total` on `_destroy`, as Envoy names it). */
export const UPSTREAM_CX = {
  active: "envoy_cluster_upstream_cx_active",
  opened: "envoy_cluster_upstream_cx_total",
  closed: "envoy_cluster_upstream_cx_destroy",
  rxBytes: "envoy_cluster_upstream_cx_rx_bytes_total",
  txBytes: "envoy_cluster_upstream_cx_tx_bytes_total",
} as const;

/** The server sidecar's cluster for its own app. */
export const LOCAL_APP = "local_app";

export const CONSUL = {
  prefix: "envoy_http_conn_manager_prefix",
  cluster: "envoy_cluster_name",
  codeClass: "envoy_response_code_class",
  /** The local service of the sidecar (a static tag on all its stats). */
  service: "consul_source_service",
  dstService: "consul_destination_service",
  /**
   * Consul namespaces: the sidecar's own and its upstream's. They equal the
   * Kubernetes namespaces only under namespace mirroring (directory.ts).
   */
  srcNamespace: "consul_source_namespace",
  dstNamespace: "consul_destination_namespace",
  /** Added by Prometheus: the scraped pod's Kubernetes namespace and name. */
  namespace: "namespace",
  pod: "pod",
} as const;

/** The only Consul namespace on Consul OSS; also Consul Enterprise's default one. */
export const CONSUL_DEFAULT_NAMESPACE = "default";

/** Failure is a 5xx, as for every mesh: a 404 is the server answering correctly. */
export function consulSuccess(codeClass: string | undefined): boolean {
  return codeClass !== "5";
}
