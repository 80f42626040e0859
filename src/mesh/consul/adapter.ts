// Consul service mesh (Envoy sidecars): resource stats from each server
// sidecar's public listener (envoy_http_downstream_rq_*), edges from each
// client sidecar's upstream clusters (envoy_cluster_upstream_rq_*), which name
// the destination service. The server sidecar's `local_app` cluster counts
// the same inbound requests again; it has no consul_destination_service and
// is left out of every query. Envoy's time histograms are in milliseconds.
//
// Services map to workloads (directory.ts), and an upstream's Consul namespace
// to a Kubernetes one (directory.ts: namespace mirroring or Consul OSS).
// Resource stats of NAMESPACE and POD need no mapping; pod-to-pod edges cannot
// be expressed (clients name a service, not the pod that answered). Consul
// connect is mTLS between sidecars, always.

import type { EdgeStats } from "../../domain/edges.ts";
import type { ResourceKind } from "../../domain/kinds.ts";
import type { RawStats } from "../../domain/metrics.ts";
import { refKey, type ResourceRef } from "../../domain/resource.ts";
import { promRange } from "../../domain/window.ts";
import type { InstantQuerier, Sample } from "../../prometheus/client.ts";
import { by, eq, type Matcher, neq, oneOf, selector } from "../../prometheus/promql.ts";
import type { ListScope, MeshAdapter, StatsBatch } from "../adapter.ts";
import { resourcesOfKind, type WorkloadResolver, workloadAsKind } from "../infer.ts";
import { accumulate, bucketRatesQuery, type EdgePair, edgesOfPairs, keyOfWanted } from "../results.ts";
import { ConsulDirectory, directoryQuery } from "./directory.ts";
import {
  CONSUL,
  CONSUL_DEFAULT_NAMESPACE,
  consulSuccess,
  DOWNSTREAM_TIME_BUCKETS,
  DOWNSTREAM_XX,
  PUBLIC_LISTENER,
  UPSTREAM_TIME_BUCKETS,
  UPSTREAM_XX,
} from "./labels.ts";

/** The labels naming one end: the sidecar's own (client or server) or the upstream's. */
interface Side {
  /** The scraped pod's Kubernetes namespace (LOCAL) or the upstream's Consul namespace. */
  readonly namespace: string;
  readonly service: string;
}

const isSuccess = (s: Sample): boolean => consulSuccess(s.labels[CONSUL.codeClass]);

const LOCAL: Side = { namespace: CONSUL.namespace, service: CONSUL.service };
const UPSTREAM: Side = { namespace: CONSUL.dstNamespace, service: CONSUL.dstService };

export class ConsulAdapter implements MeshAdapter {
  readonly mesh = "consul" as const;

  /** resolver: the Kubernetes inventory, when there is a cluster; otherwise owners come from pod names. */
  constructor(
    private readonly backend: InstantQuerier,
    private readonly resolver: WorkloadResolver | null = null,
  ) {}

  async resourceStats(batch: StatsBatch): Promise<Map<string, RawStats>> {
    if (batch.refs.length === 0) return new Map();
    const range = promRange(batch.window);
    const matchers = [eq(CONSUL.prefix, PUBLIC_LISTENER), ...this.matchers(batch.kind, batch.refs, LOCAL, true)];
    const group = this.group(batch.kind, LOCAL, true);
    const workloads = batch.kind !== "NAMESPACE" && batch.kind !== "POD";
    const [counts, buckets, directory] = await Promise.all([
      this.backend.query(`sum ${by([...group, CONSUL.codeClass])} (increase(${selector(DOWNSTREAM_XX, matchers)}[${range}]))`, batch.at),
      this.backend.query(bucketRatesQuery(`rate(${selector(DOWNSTREAM_TIME_BUCKETS, matchers)}[${range}])`, group), batch.at),
      workloads ? this.directory(batch) : null,
    ]);

    const keyOf = keyOfWanted(batch.refs, (s) => localRef(batch.kind, s.labels, true, directory));
    return accumulate(counts, buckets, keyOf, isSuccess).toMap();
  }

  async edges(batch: StatsBatch): Promise<EdgeStats[]> {
    if (batch.refs.length === 0 || batch.kind === "POD") return [];
    const range = promRange(batch.window);
    // Both ends in one expression; every upstream series names a destination service, local_app none.
    const union = (metric: string, fn: string): string =>
      [LOCAL, UPSTREAM]
        .map((side) => `${fn}(${selector(metric, [neq(CONSUL.dstService, ""), ...this.matchers(batch.kind, batch.refs, side, false)])}[${range}])`)
        .join(" or ");
    const group = [...this.group(batch.kind, LOCAL, false), ...this.group(batch.kind, UPSTREAM, false)];
    const [counts, buckets, directory] = await Promise.all([
      this.backend.query(`sum ${by([...group, CONSUL.codeClass])} (${union(UPSTREAM_XX, "increase")})`, batch.at),
      this.backend.query(bucketRatesQuery(union(UPSTREAM_TIME_BUCKETS, "rate"), group), batch.at),
      this.directory(batch),
    ]);

    // Consul connect only carries mutually authenticated TLS between sidecars.
    const pairs = new Map<string, EdgePair>();
    const pairOf = (s: Sample): string | null => {
      const from = localRef(batch.kind, s.labels, false, directory);
      const to = upstreamRef(batch.kind, s.labels, directory);
      if (!from || !to) return null; // a peer of another kind, or in no single Kubernetes namespace
      const key = `${refKey(from)}>${refKey(to)}`;
      if (!pairs.has(key)) pairs.set(key, { from, to, mtls: true });
      return key;
    };
    return edgesOfPairs(pairs, accumulate(counts, buckets, pairOf, isSuccess), batch.refs);
  }

  async seenResources(scope: ListScope): Promise<ResourceRef[]> {
    const samples = await this.backend.query(directoryQuery(scope.lookback, scope.namespace), scope.at);
    return resourcesOfKind(new ConsulDirectory(samples, this.resolver).all(), scope.kind);
  }

  async detect(at: Date): Promise<boolean> {
    const inbound = selector(DOWNSTREAM_XX, [eq(CONSUL.prefix, PUBLIC_LISTENER), neq(CONSUL.service, "")]);
    const samples = await this.backend.query(`count(present_over_time(${inbound}[10m]))`, at);
    return samples.some((s) => s.value > 0);
  }

  // ---- helpers ----

  private directory(batch: StatsBatch): Promise<ConsulDirectory> {
    return this.backend.query(directoryQuery(batch.window), batch.at).then((samples) => new ConsulDirectory(samples, this.resolver));
  }

  /**
   * Matchers selecting series whose `side` may belong to the refs. Services
   * are not workloads, so workload batches select their namespaces only (a
   * superset, filtered exactly after mapping); `server` allows POD.
   */
  private matchers(kind: ResourceKind, refs: readonly ResourceRef[], side: Side, server: boolean): Matcher[] {
    const names = refs.map((r) => (kind === "NAMESPACE" ? r.name : (r.namespace ?? "")));
    // An upstream's Consul namespace is its Kubernetes one when mirrored, else Consul OSS' `default`
    // or none at all (""): select those too, and keep what the directory places in the refs' namespaces.
    const namespaces = oneOf(side.namespace, side === UPSTREAM ? [...names, CONSUL_DEFAULT_NAMESPACE, ""] : names);
    if (kind === "POD" && server) return [namespaces, oneOf(CONSUL.pod, refs.map((r) => r.name))];
    return [namespaces];
  }

  private group(kind: ResourceKind, side: Side, server: boolean): string[] {
    // An upstream needs its service to be placed in a Kubernetes namespace, even in NAMESPACE batches.
    if (kind === "NAMESPACE" && side === LOCAL) return [side.namespace];
    if (kind === "POD" && server) return [side.namespace, CONSUL.pod];
    return [side.namespace, side.service];
  }
}

type Labels = Sample["labels"];

/** The resource a sidecar's own labels name: its pod (servers only), its namespace, or its service's workload. */
function localRef(kind: ResourceKind, labels: Labels, server: boolean, directory: ConsulDirectory | null): ResourceRef | null {
  const namespace = labels[CONSUL.namespace];
  if (!namespace) return null;
  if (kind === "POD") {
    const pod = server ? labels[CONSUL.pod] : undefined;
    return pod ? { kind, namespace, name: pod } : null;
  }
  return serviceRef(kind, namespace, labels[CONSUL.service], directory);
}

/** The resource behind a client's upstream, once the directory has placed it in a Kubernetes namespace. */
function upstreamRef(kind: ResourceKind, labels: Labels, directory: ConsulDirectory): ResourceRef | null {
  const service = labels[CONSUL.dstService];
  const caller = labels[CONSUL.namespace];
  if (!service || !caller) return null;
  const namespace = directory.upstreamNamespace(labels[CONSUL.dstNamespace], service, caller);
  return namespace === null ? null : serviceRef(kind, namespace, service, directory);
}

/** The resource of `kind` standing for a service served in a Kubernetes namespace. */
function serviceRef(kind: ResourceKind, namespace: string, service: string | undefined, directory: ConsulDirectory | null): ResourceRef | null {
  if (kind === "NAMESPACE") return { kind, namespace: null, name: namespace };
  if (!service || !directory) return null;
  return workloadAsKind(directory.get(namespace, service), kind);
}
