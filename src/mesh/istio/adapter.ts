// Istio (telemetry v2): golden metrics from istio_requests_total and
// istio_request_duration_milliseconds. Every request is reported twice, so
// each figure reads exactly one reporter: resource stats the server's
// (reporter="destination"), edges the client's (reporter="source"), and an
// edge's mTLS the server's, which alone knows the connection's security.
//
// Istio's labels name workloads without their kind; see directory.ts. NAMESPACE
// and POD need no kind: namespaces are labels, and a server's pod is the
// `pod` Prometheus adds to the destination reporter's series. Pod-to-pod edges
// cannot be expressed (neither reporter names the peer's pod).

import type { EdgeStats } from "../../domain/edges.ts";
import type { ResourceKind } from "../../domain/kinds.ts";
import type { RawStats } from "../../domain/metrics.ts";
import { refKey, type ResourceRef } from "../../domain/resource.ts";
import { promRange } from "../../domain/window.ts";
import type { InstantQuerier, Sample } from "../../prometheus/client.ts";
import { by, eq, type Matcher, oneOf, selector } from "../../prometheus/promql.ts";
import type { ListScope, MeshAdapter, StatsBatch } from "../adapter.ts";
import { resourcesOfKind, type WorkloadResolver, workloadAsKind, workloadNamesFor } from "../infer.ts";
import { accumulate, bucketRatesQuery, edgesOfPairs, keyOfWanted } from "../results.ts";
import { directoryQuery, IstioDirectory } from "./directory.ts";
import { DURATION_BUCKETS, ISTIO, REQUESTS, UNKNOWN } from "./labels.ts";

/** The labels naming one end of a request. */
interface Side {
  readonly namespace: string;
  readonly workload: string;
}

const SRC: Side = { namespace: ISTIO.srcNamespace, workload: ISTIO.srcWorkload };
const DST: Side = { namespace: ISTIO.dstNamespace, workload: ISTIO.dstWorkload };

/** Success is any response but a 5xx: a 404 is the server answering correctly (as Kiali and Flagger count). */
export function istioSuccess(responseCode: string | undefined): boolean {
  return !/^5\d\d$/.test(responseCode ?? "");
}

const isSuccess = (s: Sample): boolean => istioSuccess(s.labels[ISTIO.responseCode]);

/** Mutual TLS of an edge from the destination's connection_security_policy values; mixed traffic is not mTLS. */
export function istioMtls(policies: ReadonlySet<string>): boolean | null {
  if (policies.size === 0) return null;
  return [...policies].every((p) => p === "mutual_tls");
}

export class IstioAdapter implements MeshAdapter {
  readonly mesh = "istio" as const;

  /** resolver: the Kubernetes inventory, when there is a cluster; otherwise kinds come from pod names. */
  constructor(
    private readonly backend: InstantQuerier,
    private readonly resolver: WorkloadResolver | null = null,
  ) {}

  async resourceStats(batch: StatsBatch): Promise<Map<string, RawStats>> {
    if (batch.refs.length === 0) return new Map();
    const range = promRange(batch.window);
    const matchers = [eq(ISTIO.reporter, "destination"), ...this.matchers(batch.kind, batch.refs, DST, true)];
    const group = this.group(batch.kind, DST, true);
    const [counts, buckets, directory] = await Promise.all([
      this.backend.query(`sum ${by([...group, ISTIO.responseCode])} (increase(${selector(REQUESTS, matchers)}[${range}]))`, batch.at),
      this.backend.query(bucketRatesQuery(`rate(${selector(DURATION_BUCKETS, matchers)}[${range}])`, group), batch.at),
      this.directory(batch),
    ]);

    const keyOf = keyOfWanted(batch.refs, (s) => this.refOf(batch.kind, s.labels, DST, true, directory));
    return accumulate(counts, buckets, keyOf, isSuccess).toMap();
  }

  async edges(batch: StatsBatch): Promise<EdgeStats[]> {
    // Neither reporter names the peer's pod: pod-to-pod edges do not exist in Istio's metrics.
    if (batch.refs.length === 0 || batch.kind === "POD") return [];
    const range = promRange(batch.window);
    // Both ends in one expression: series the refs sent, or series sent to them.
    const union = (metric: string, fn: string, reporter: "source" | "destination"): string =>
      [SRC, DST]
        .map((side) => `${fn}(${selector(metric, [eq(ISTIO.reporter, reporter), ...this.matchers(batch.kind, batch.refs, side, false)])}[${range}])`)
        .join(" or ");
    const group = [...this.group(batch.kind, SRC, false), ...this.group(batch.kind, DST, false)];

    const [counts, buckets, security, directory] = await Promise.all([
      this.backend.query(`sum ${by([...group, ISTIO.responseCode])} (${union(REQUESTS, "increase", "source")})`, batch.at),
      this.backend.query(bucketRatesQuery(union(DURATION_BUCKETS, "rate", "source"), group), batch.at),
      this.backend.query(`sum ${by([...group, ISTIO.security])} (${union(REQUESTS, "increase", "destination")})`, batch.at),
      this.directory(batch),
    ]);

    const pairs = new Map<string, { from: ResourceRef; to: ResourceRef; policies: Set<string> }>();
    const pairOf = (s: Sample): string | null => {
      const from = this.refOf(batch.kind, s.labels, SRC, false, directory);
      const to = this.refOf(batch.kind, s.labels, DST, false, directory);
      if (!from || !to) return null; // the peer is unknown (unmeshed) or of another kind
      const key = `${refKey(from)}>${refKey(to)}`;
      if (!pairs.has(key)) pairs.set(key, { from, to, policies: new Set() });
      return key;
    };
    const acc = accumulate(counts, buckets, pairOf, isSuccess);
    for (const s of security) {
      const key = pairOf(s);
      if (key && s.value > 0) pairs.get(key)!.policies.add(s.labels[ISTIO.security] ?? "");
    }
    const edges = new Map([...pairs].map(([key, p]) => [key, { from: p.from, to: p.to, mtls: istioMtls(p.policies) }]));
    return edgesOfPairs(edges, acc, batch.refs);
  }

  async seenResources(scope: ListScope): Promise<ResourceRef[]> {
    const samples = await this.backend.query(directoryQuery(scope.lookback, scope.namespace), scope.at);
    return resourcesOfKind(new IstioDirectory(samples, this.resolver).all(), scope.kind);
  }

  async detect(at: Date): Promise<boolean> {
    const samples = await this.backend.query(`count(present_over_time(${selector(REQUESTS, [eq(ISTIO.reporter, "destination")])}[10m]))`, at);
    return samples.some((s) => s.value > 0);
  }

  // ---- helpers ----

  /** Kinds that the labels name directly; the others need the directory. */
  private static direct(kind: ResourceKind): boolean {
    return kind === "NAMESPACE" || kind === "POD";
  }

  private directory(batch: StatsBatch): Promise<IstioDirectory | null> {
    if (IstioAdapter.direct(batch.kind)) return Promise.resolve(null);
    return this.backend.query(directoryQuery(batch.window), batch.at).then((samples) => new IstioDirectory(samples, this.resolver));
  }

  /**
   * Matchers selecting series whose `side` is one of the refs: a superset
   * (product of namespaces and names, a ReplicaSet's Deployment too), filtered
   * exactly once the answer is mapped back to refs. `server` allows POD,
   * which only the destination reporter's `pod` label can name.
   */
  private matchers(kind: ResourceKind, refs: readonly ResourceRef[], side: Side, server: boolean): Matcher[] {
    if (kind === "NAMESPACE") return [oneOf(side.namespace, refs.map((r) => r.name))];
    const namespaces = oneOf(side.namespace, refs.map((r) => r.namespace ?? ""));
    if (kind === "POD" && server) return [namespaces, oneOf(ISTIO.pod, refs.map((r) => r.name))];
    return [namespaces, oneOf(side.workload, refs.flatMap((r) => workloadNamesFor(kind, r.name)))];
  }

  private group(kind: ResourceKind, side: Side, server: boolean): string[] {
    if (kind === "NAMESPACE") return [side.namespace];
    if (kind === "POD" && server) return [side.namespace, ISTIO.pod];
    return [side.namespace, side.workload];
  }

  private refOf(kind: ResourceKind, labels: Readonly<Record<string, string>>, side: Side, server: boolean, directory: IstioDirectory | null): ResourceRef | null {
    const namespace = labels[side.namespace];
    if (!namespace || namespace === UNKNOWN) return null;
    if (kind === "NAMESPACE") return { kind, namespace: null, name: namespace };
    if (kind === "POD") {
      const pod = server ? labels[ISTIO.pod] : undefined;
      return pod ? { kind, namespace, name: pod } : null;
    }
    const name = labels[side.workload];
    if (!name || name === UNKNOWN || !directory) return null;
    return workloadAsKind(directory.get(namespace, name, this.resolver), kind);
  }
}
