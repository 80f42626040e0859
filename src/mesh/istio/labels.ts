// Istio telemetry v2 standard metric and label names.

export const REQUESTS = "istio_requests_total";
export const DURATION_BUCKETS = "istio_request_duration_milliseconds_bucket";

/** The value Istio writes where it does not know a peer (e.g. an unmeshed client). */
export const UNKNOWN = "unknown";

export const ISTIO = {
  reporter: "reporter",
  srcNamespace: "source_workload_namespace",
  srcWorkload: "source_workload",
  dstNamespace: "destination_workload_namespace",
  dstWorkload: "destination_workload",
  responseCode: "response_code",
  security: "connection_security_policy",
  /** Added by Prometheus: the scraped proxy's pod (the server's on destination-reported series). */
  pod: "pod",
} as const;
