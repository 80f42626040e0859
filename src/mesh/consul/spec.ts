// Consul service mesh (Envoy sidecars) as a mesh spec: resource stats from
// each server sidecar's public listener (envoy_http_downstream_rq_*), edges
// from each client sidecar's upstream clusters (envoy_cluster_upstream_rq_*),
// which name the destination service. The server sidecar's `local_app`
// cluster counts the same inbound requests again; golden reads leave it out
// (it has no consul_destination_service), and TCP reads use it for a
// resource's inbound connections: its connection stats exist for HTTP and TCP
// services alike. Envoy's time histograms are in milliseconds.
//
// Services map to workloads (directory.ts, with owner.ts's rules), and an
// upstream's Consul namespace to a Kubernetes one (directory.ts: namespace
// mirroring or Consul OSS). Resource stats of NAMESPACE and POD need no
// mapping; pod-to-pod edges cannot be expressed (clients name a service, not
// the pod that answered). Consul connect is mTLS between sidecars, always.

import type { ResourceKind } from "../../domain/kinds.ts";
import type { ResourceRef } from "../../domain/resource.ts";
import type { InstantQuerier } from "../../prometheus/client.ts";
import { eq, type Matcher, neq, oneOf } from "../../prometheus/promql.ts";
import { SpecAdapter } from "../engine.ts";
import { resourcesOfKind, type WorkloadResolver, workloadAsKind } from "../infer.ts";
import { type Labels, type MeshSpec, series, type SeriesEnd } from "../spec.ts";
import { ConsulDirectory, directoryQuery } from "./directory.ts";
import {
  CONSUL,
  CONSUL_DEFAULT_NAMESPACE,
  consulSuccess,
  DOWNSTREAM_TIME_BUCKETS,
  DOWNSTREAM_XX,
  LOCAL_APP,
  PUBLIC_LISTENER,
  UPSTREAM_CX,
  UPSTREAM_TIME_BUCKETS,
  UPSTREAM_XX,
} from "./labels.ts";
import { refineSeen, seenQuery } from "./seen.ts";

/** The resource of `kind` standing for a service served in a Kubernetes namespace. */
function serviceRef(
  kind: ResourceKind,
  namespace: string,
  service: string | undefined,
  directory: ConsulDirectory | null,
): ResourceRef | null {
  if (kind === "NAMESPACE") return { kind, namespace: null, name: namespace };
  if (!service || !directory) return null;
  return workloadAsKind(directory.get(namespace, service), kind);
}

/**
 * The sidecar's own end (client or server): its pod (servers only), its
 * namespace, or its service's workload. Services are not workloads, so
 * workload batches select their namespaces only (a superset, filtered exactly
 * after mapping).
 */
function local(server: boolean): SeriesEnd<ConsulDirectory> {
  return {
    matchers(kind, refs) {
      const namespaces = oneOf(
        CONSUL.namespace,
        refs.map((r) => (kind === "NAMESPACE" ? r.name : (r.namespace ?? ""))),
      );
      if (kind === "POD" && server)
        return [
          namespaces,
          oneOf(
            CONSUL.pod,
            refs.map((r) => r.name),
          ),
        ];
      return [namespaces];
    },
    group(kind) {
      if (kind === "NAMESPACE") return [CONSUL.namespace];
      if (kind === "POD" && server) return [CONSUL.namespace, CONSUL.pod];
      return [CONSUL.namespace, CONSUL.service];
    },
    refOf(kind, labels: Labels, directory) {
      const namespace = labels[CONSUL.namespace];
      if (!namespace) return null;
      if (kind === "POD") {
        const pod = server ? labels[CONSUL.pod] : undefined;
        return pod ? { kind, namespace, name: pod } : null;
      }
      return serviceRef(kind, namespace, labels[CONSUL.service], directory);
    },
  };
}

/** A client's upstream, once the directory has placed it in a Kubernetes namespace. */
const UPSTREAM: SeriesEnd<ConsulDirectory> = {
  matchers(kind, refs) {
    const names = refs.map((r) => (kind === "NAMESPACE" ? r.name : (r.namespace ?? "")));
    // An upstream's Consul namespace is its Kubernetes one when mirrored, else Consul OSS' `default`
    // or none at all (""): select those too, and keep what the directory places in the refs' namespaces.
    return [oneOf(CONSUL.dstNamespace, [...names, CONSUL_DEFAULT_NAMESPACE, ""])];
  },
  // An upstream needs its service to be placed in a Kubernetes namespace, even in NAMESPACE batches.
  group: () => [CONSUL.dstNamespace, CONSUL.dstService],
  refOf(kind, labels, directory) {
    const service = labels[CONSUL.dstService];
    const caller = labels[CONSUL.namespace];
    if (!service || !caller || !directory) return null;
    const namespace = directory.upstreamNamespace(labels[CONSUL.dstNamespace], service, caller);
    return namespace === null ? null : serviceRef(kind, namespace, service, directory);
  },
};

const publicListener = eq(CONSUL.prefix, PUBLIC_LISTENER);
const localApp = eq(CONSUL.cluster, LOCAL_APP);
const upstreams = neq(CONSUL.dstService, "");

/**
 * TCP of a cluster's connections: the server sidecar's local_app, or a
 * client's upstream. Either sends (tx) what the server reads and receives
 * (rx) what it writes.
 */
function tcpRows(filter: Matcher) {
  return {
    open: series(UPSTREAM_CX.active, filter),
    read: series(UPSTREAM_CX.txBytes, filter),
    write: series(UPSTREAM_CX.rxBytes, filter),
    opened: series(UPSTREAM_CX.opened, filter),
    closed: series(UPSTREAM_CX.closed, filter),
  };
}

export const CONSUL_SPEC: MeshSpec<ConsulDirectory> = {
  mesh: "consul",
  success: { labels: [CONSUL.codeClass], isSuccess: (labels) => consulSuccess(labels[CONSUL.codeClass]) },
  mtls: { from: "always", value: true },
  resource: {
    ends: [local(true)],
    needsDirectory: (kind) => kind !== "NAMESPACE" && kind !== "POD",
    rows: {
      golden: { counts: series(DOWNSTREAM_XX, publicListener), latency: series(DOWNSTREAM_TIME_BUCKETS, publicListener) },
      tcp: tcpRows(localApp),
    },
  },
  edge: {
    ends: [local(false), UPSTREAM],
    kinds: ["NAMESPACE", "DEPLOYMENT", "DAEMONSET", "STATEFULSET", "REPLICASET", "JOB"],
    // Every edge batch places upstreams through the directory.
    needsDirectory: () => true,
    rows: {
      golden: { counts: series(UPSTREAM_XX, upstreams), latency: series(UPSTREAM_TIME_BUCKETS, upstreams) },
      tcp: tcpRows(upstreams),
    },
  },
  directory: { query: directoryQuery, build: (samples, resolver) => new ConsulDirectory(samples, resolver) },
  seen: {
    query: seenQuery,
    refine: refineSeen,
    refs: (kind, samples, resolver) => resourcesOfKind(new ConsulDirectory(samples, resolver).all(), kind),
  },
  detect: series(DOWNSTREAM_XX, publicListener, neq(CONSUL.service, "")),
};

export class ConsulAdapter extends SpecAdapter<ConsulDirectory> {
  /** resolver: the Kubernetes inventory, when there is a cluster; otherwise owners come from pod names. */
  constructor(backend: InstantQuerier, resolver: WorkloadResolver | null = null) {
    super(CONSUL_SPEC, backend, resolver);
  }
}
