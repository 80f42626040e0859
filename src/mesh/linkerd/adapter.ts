// Linkerd: golden metrics from the proxies' response_total and
// response_latency_ms series. Resource stats use the server's (inbound) view;
// edges use the client's (outbound) view, which names both ends.

import type { EdgeStats } from "../../domain/edges.ts";
import type { RawStats } from "../../domain/metrics.ts";
import { refKey, type ResourceRef } from "../../domain/resource.ts";
import { promRange } from "../../domain/window.ts";
import type { InstantQuerier, Sample } from "../../prometheus/client.ts";
import { by, eq, type Matcher, neq, selector } from "../../prometheus/promql.ts";
import type { ListScope, MeshAdapter, StatsBatch } from "../adapter.ts";
import { groupLabels, refFromLabels, refMatchers } from "../refs.ts";
import { accumulate, bucketRatesQuery, edgesOfPairs, keyOfWanted } from "../results.ts";
import { dstLabels, selfLabels } from "./labels.ts";

export const RESPONSES = "response_total";
export const LATENCY_BUCKETS = "response_latency_ms_bucket";

export class LinkerdAdapter implements MeshAdapter {
  readonly mesh = "linkerd" as const;

  constructor(private readonly backend: InstantQuerier) {}

  async resourceStats(batch: StatsBatch): Promise<Map<string, RawStats>> {
    if (batch.refs.length === 0) return new Map();
    const labels = selfLabels(batch.kind);
    const matchers = [eq("direction", "inbound"), ...refMatchers(batch.kind, batch.refs, labels)];
    const group = groupLabels(batch.kind, labels);
    const range = promRange(batch.window);
    const [counts, buckets] = await Promise.all([
      this.backend.query(`sum ${by([...group, "classification"])} (increase(${selector(RESPONSES, matchers)}[${range}]))`, batch.at),
      this.backend.query(bucketRatesQuery(`rate(${selector(LATENCY_BUCKETS, matchers)}[${range}])`, group), batch.at),
    ]);

    const keyOf = keyOfWanted(batch.refs, (s) => refFromLabels(batch.kind, s.labels, labels));
    return accumulate(counts, buckets, keyOf, isSuccess).toMap();
  }

  async edges(batch: StatsBatch): Promise<EdgeStats[]> {
    if (batch.refs.length === 0) return [];
    const src = selfLabels(batch.kind);
    const dst = dstLabels(batch.kind);
    const outbound = eq("direction", "outbound");
    // Both ends in one expression: series the refs sent, or series sent to them.
    const union = (metric: string, fn: string): string =>
      `${fn}(${selector(metric, [outbound, ...refMatchers(batch.kind, batch.refs, src)])}[${promRange(batch.window)}]) or ` +
      `${fn}(${selector(metric, [outbound, ...refMatchers(batch.kind, batch.refs, dst)])}[${promRange(batch.window)}])`;
    const group = [...new Set([...groupLabels(batch.kind, src), ...groupLabels(batch.kind, dst)])];

    const [counts, buckets] = await Promise.all([
      this.backend.query(`sum ${by([...group, "classification", "tls"])} (${union(RESPONSES, "increase")})`, batch.at),
      this.backend.query(bucketRatesQuery(union(LATENCY_BUCKETS, "rate"), group), batch.at),
    ]);

    const pairs = new Map<string, { from: ResourceRef; to: ResourceRef; tls: Set<string> }>();
    const pairOf = (s: Sample): string | null => {
      const from = refFromLabels(batch.kind, s.labels, src);
      const to = refFromLabels(batch.kind, s.labels, dst);
      if (!from || !to) return null; // the peer is outside the mesh or of another kind
      const key = `${refKey(from)}>${refKey(to)}`;
      if (!pairs.has(key)) pairs.set(key, { from, to, tls: new Set() });
      return key;
    };
    const acc = accumulate(counts, buckets, pairOf, isSuccess);
    for (const s of counts) {
      const key = pairOf(s);
      if (key && s.value > 0) pairs.get(key)!.tls.add(s.labels.tls ?? "");
    }
    const edges = new Map([...pairs].map(([key, p]) => [key, { from: p.from, to: p.to, mtls: mtlsOf(p.tls) }]));
    return edgesOfPairs(edges, acc, batch.refs);
  }

  async seenResources(scope: ListScope): Promise<ResourceRef[]> {
    const labels = selfLabels(scope.kind);
    const matchers: Matcher[] = labels.composed ? [] : [neq(labels.name, "")];
    if (scope.namespace !== null) matchers.push(eq("namespace", scope.namespace));
    const group = groupLabels(scope.kind, labels);
    const samples = await this.backend.query(
      `group ${by(group)} (present_over_time(${selector(RESPONSES, matchers)}[${promRange(scope.lookback)}]))`,
      scope.at,
    );
    return samples.flatMap((s) => refFromLabels(scope.kind, s.labels, labels) ?? []);
  }

  async detect(at: Date): Promise<boolean> {
    const samples = await this.backend.query(`count(present_over_time(${selector(RESPONSES, [eq("direction", "inbound")])}[10m]))`, at);
    return samples.some((s) => s.value > 0);
  }
}

/** Linkerd classifies: failure is a 5xx or a gRPC error; a 4xx is a success. */
const isSuccess = (s: Sample): boolean => s.labels.classification !== "failure";

/** Linkerd's tls label is "true" for mTLS; anything else is plaintext. Mixed traffic is not mTLS. */
function mtlsOf(values: ReadonlySet<string>): boolean | null {
  if (values.size === 0 || values.has("")) return null;
  return [...values].every((v) => v === "true");
}
