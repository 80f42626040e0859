// Istio (telemetry v2) as a mesh spec: golden metrics from istio_requests_total
// and istio_request_duration_milliseconds, TCP from istio_tcp_*. Every request
// is reported twice, so each figure reads exactly one reporter: resource stats
// the server's (reporter="destination"), edges the client's
// (reporter="source"), and an edge's mTLS the server's, which alone knows the
// connection's security.
//
// Istio's labels name workloads without their kind; see directory.ts. NAMESPACE
// and POD need no kind: namespaces are labels, and a server's pod is the
// `pod` Prometheus adds to the destination reporter's series. Pod-to-pod edges
// cannot be expressed (neither reporter names the peer's pod).

import type { ResourceKind } from "../../domain/kinds.ts";
import type { InstantQuerier } from "../../prometheus/client.ts";
import { eq, oneOf } from "../../prometheus/promql.ts";
import { SpecAdapter } from "../engine.ts";
import { resourcesOfKind, type WorkloadResolver, workloadAsKind, workloadNamesFor } from "../infer.ts";
import { type MeshSpec, series, type SeriesEnd } from "../spec.ts";
import { directoryQuery, IstioDirectory, seenQuery } from "./directory.ts";
import { DURATION_BUCKETS, ISTIO, REQUESTS, UNKNOWN } from "./labels.ts";

/** Success is any response but a 5xx: a 404 is the server answering correctly (as Kiali and Flagger count). */
export function istioSuccess(responseCode: string | undefined): boolean {
  return !/^5\d\d$/.test(responseCode ?? "");
}

/** Mutual TLS of an edge from the destination's connection_security_policy values; mixed traffic is not mTLS. */
export function istioMtls(policies: ReadonlySet<string>): boolean | null {
  if (policies.size === 0) return null;
  return [...policies].every((p) => p === "mutual_tls");
}

/** Kinds that the labels name directly; the others need the directory. */
const direct = (kind: ResourceKind): boolean => kind === "NAMESPACE" || kind === "POD";

/**
 * One end of a request: its namespace and workload labels. `server` allows
 * POD, which only the destination reporter's `pod` label can name. Matchers
 * are a superset (product of namespaces and names, a ReplicaSet's Deployment
 * too), filtered exactly once the answer is mapped back to refs.
 */
function end(namespaceLabel: string, workloadLabel: string, server: boolean): SeriesEnd<IstioDirectory> {
  return {
    matchers(kind, refs) {
      if (kind === "NAMESPACE")
        return [
          oneOf(
            namespaceLabel,
            refs.map((r) => r.name),
          ),
        ];
      const namespaces = oneOf(
        namespaceLabel,
        refs.map((r) => r.namespace ?? ""),
      );
      if (kind === "POD" && server)
        return [
          namespaces,
          oneOf(
            ISTIO.pod,
            refs.map((r) => r.name),
          ),
        ];
      return [
        namespaces,
        oneOf(
          workloadLabel,
          refs.flatMap((r) => workloadNamesFor(kind, r.name)),
        ),
      ];
    },
    group(kind) {
      if (kind === "NAMESPACE") return [namespaceLabel];
      if (kind === "POD" && server) return [namespaceLabel, ISTIO.pod];
      return [namespaceLabel, workloadLabel];
    },
    refOf(kind, labels, directory) {
      const namespace = labels[namespaceLabel];
      if (!namespace || namespace === UNKNOWN) return null;
      if (kind === "NAMESPACE") return { kind, namespace: null, name: namespace };
      if (kind === "POD") {
        const pod = server ? labels[ISTIO.pod] : undefined;
        return pod ? { kind, namespace, name: pod } : null;
      }
      const name = labels[workloadLabel];
      if (!name || name === UNKNOWN || !directory) return null;
      return workloadAsKind(directory.get(namespace, name), kind);
    },
  };
}

const SRC = (server: boolean) => end(ISTIO.srcNamespace, ISTIO.srcWorkload, server);
const DST = (server: boolean) => end(ISTIO.dstNamespace, ISTIO.dstWorkload, server);

/** The rows of one reporter. Istio has no gauge of open connections: openConnections is null. */
function rows(reporter: "source" | "destination") {
  const r = eq(ISTIO.reporter, reporter);
  return {
    golden: { counts: series(REQUESTS, r), latency: series(DURATION_BUCKETS, r) },
    tcp: {
      // Received is the request direction (what the client sent), sent the response's, whichever reporter.
      read: series("istio_tcp_received_bytes_total", r),
      write: series("istio_tcp_sent_bytes_total", r),
      opened: series("istio_tcp_connections_opened_total", r),
      closed: series("istio_tcp_connections_closed_total", r),
    },
  };
}

export const ISTIO_SPEC: MeshSpec<IstioDirectory> = {
  mesh: "istio",
  success: { labels: [ISTIO.responseCode], isSuccess: (labels) => istioSuccess(labels[ISTIO.responseCode]) },
  mtls: { from: "series", series: series(REQUESTS, eq(ISTIO.reporter, "destination")), label: ISTIO.security, decide: istioMtls },
  resource: { ends: [DST(true)], rows: rows("destination"), needsDirectory: (kind) => !direct(kind) },
  edge: {
    ends: [SRC(false), DST(false)],
    rows: rows("source"),
    kinds: ["NAMESPACE", "DEPLOYMENT", "DAEMONSET", "STATEFULSET", "REPLICASET", "JOB"],
    needsDirectory: (kind) => !direct(kind),
  },
  directory: { query: directoryQuery, build: (samples, resolver) => new IstioDirectory(samples, resolver) },
  seen: {
    query: seenQuery,
    refs: (kind, samples, resolver) => resourcesOfKind(new IstioDirectory(samples, resolver).all(), kind),
  },
  detect: series(REQUESTS, eq(ISTIO.reporter, "destination")),
};

export class IstioAdapter extends SpecAdapter<IstioDirectory> {
  /** resolver: the Kubernetes inventory, when there is a cluster; otherwise kinds come from pod names. */
  constructor(backend: InstantQuerier, resolver: WorkloadResolver | null = null) {
    super(ISTIO_SPEC, backend, resolver);
  }
}
