// Views of the service → SMI TrafficMetrics / TrafficMetricsList documents.
// Pure functions; every decision about the wire shape lives here.
//
// Shape (field order as the reference server's Go structs marshalled it,
// servicemeshinterface/smi-sdk-go metrics/v1alpha1):
//   TrafficMetrics: kind, apiVersion, metadata{name, namespace, selfLink,
//     creationTimestamp}, timestamp, window, resource{kind, namespace, name},
//     edge{direction, resource}, metrics[{name, unit, value}]
//   TrafficMetricsList: kind, apiVersion, metadata{selfLink}, resource, items
// - metadata.namespace and resource.namespace are left out for namespaces
//   (ObjectMeta/ObjectReference omit empty strings); resource.name is left out
//   of a list's resource unless the list is the edges of one resource.
// - A resource's own metrics carry edge {direction: "from", resource: null}:
//   all traffic it received.
// - metrics: always all five, in the SDK's order p99, p90, p50, success_count,
//   failure_count (clients read them by name or by position). Values are cut to
//   milli units as the SDK's Metric.Set cuts them. With no traffic a latency is
//   "0", the SDK's default and the SMI wire convention; success_count +
//   failure_count = 0 is what says "no data". GraphQL keeps null there.
// - items is [] for an empty list (the reference marshalled a nil slice as
//   null; the Kubernetes API server and every client accept []).

import type { EdgeView } from "../service/types.ts";
import type { GoldenMetrics } from "../domain/metrics.ts";
import { KIND_INFO } from "../domain/kinds.ts";
import { formatMilliQuantity } from "../domain/quantity.ts";
import type { ResourceRef } from "../domain/resource.ts";
import { formatWindowAsGo } from "../domain/go-duration.ts";
import { BASE_PATH, GROUP_VERSION, TRAFFIC_METRICS, TRAFFIC_METRICS_LIST } from "./api.ts";
import { kubeTime } from "./json.ts";

export interface ObjectReference {
  readonly kind: string;
  readonly namespace?: string;
  readonly name?: string;
}

export interface SmiMetric {
  readonly name: string;
  readonly unit?: "ms";
  readonly value: string;
}

export interface TrafficMetrics {
  readonly kind: typeof TRAFFIC_METRICS;
  readonly apiVersion: typeof GROUP_VERSION;
  readonly metadata: {
    readonly name: string;
    readonly namespace?: string;
    readonly selfLink: string;
    readonly creationTimestamp: string;
  };
  readonly timestamp: string;
  readonly window: string;
  readonly resource: ObjectReference;
  readonly edge: { readonly direction: "from" | "to"; readonly resource: ObjectReference | null };
  readonly metrics: readonly SmiMetric[];
}

export interface TrafficMetricsList {
  readonly kind: typeof TRAFFIC_METRICS_LIST;
  readonly apiVersion: typeof GROUP_VERSION;
  readonly metadata: { readonly selfLink: string };
  readonly resource: ObjectReference;
  readonly items: readonly TrafficMetrics[];
}

/** The Kubernetes reference of a resource: {kind, namespace?, name}. */
export function objectReference(ref: ResourceRef): ObjectReference {
  const kind = KIND_INFO[ref.kind].kubeKind;
  return ref.namespace === null ? { kind, name: ref.name } : { kind, namespace: ref.namespace, name: ref.name };
}

/** The path that serves this resource's TrafficMetrics. */
export function selfLink(ref: ResourceRef): string {
  const plural = KIND_INFO[ref.kind].plural;
  return ref.namespace === null ? `${BASE_PATH}/${plural}/${ref.name}` : `${BASE_PATH}/namespaces/${ref.namespace}/${plural}/${ref.name}`;
}

/** The path of a list of one kind, in one namespace or (null) in all. */
export function listSelfLink(plural: string, namespace: string | null): string {
  return namespace === null ? `${BASE_PATH}/${plural}` : `${BASE_PATH}/namespaces/${namespace}/${plural}`;
}

/** The five SMI metrics, in the SDK's order; a latency without traffic is "0". */
export function smiMetrics(m: GoldenMetrics): SmiMetric[] {
  const latency = (name: string, value: number | null): SmiMetric => ({
    name,
    unit: "ms",
    value: value !== null && Number.isFinite(value) ? formatMilliQuantity(value) : "0",
  });
  return [
    latency("p99_response_latency", m.latency.p99),
    latency("p90_response_latency", m.latency.p90),
    latency("p50_response_latency", m.latency.p50),
    { name: "success_count", value: formatMilliQuantity(m.successCount) },
    { name: "failure_count", value: formatMilliQuantity(m.failureCount) },
  ];
}

function metadata(ref: ResourceRef, link: string, now: Date): TrafficMetrics["metadata"] {
  const creationTimestamp = kubeTime(now);
  return ref.namespace === null
    ? { name: ref.name, selfLink: link, creationTimestamp }
    : { name: ref.name, namespace: ref.namespace, selfLink: link, creationTimestamp };
}

/**
 * A resource's own TrafficMetrics. `now` is the request's moment: the
 * object is computed, not stored, so it is "created" when asked for.
 */
export function resourceTrafficMetrics(ref: ResourceRef, m: GoldenMetrics, now: Date): TrafficMetrics {
  return {
    kind: TRAFFIC_METRICS,
    apiVersion: GROUP_VERSION,
    metadata: metadata(ref, selfLink(ref), now),
    timestamp: kubeTime(m.timestamp),
    window: formatWindowAsGo(m.window),
    resource: objectReference(ref),
    edge: { direction: "from", resource: null },
    metrics: smiMetrics(m),
  };
}

/** One edge of a resource, as an item of its /edges list. */
export function edgeTrafficMetrics(e: EdgeView, now: Date): TrafficMetrics {
  return {
    kind: TRAFFIC_METRICS,
    apiVersion: GROUP_VERSION,
    metadata: metadata(e.resource, `${selfLink(e.resource)}/edges`, now),
    timestamp: kubeTime(e.metrics.timestamp),
    window: formatWindowAsGo(e.metrics.window),
    resource: objectReference(e.resource),
    edge: { direction: e.direction === "FROM" ? "from" : "to", resource: objectReference(e.peer) },
    metrics: smiMetrics(e.metrics),
  };
}

/** A list of one kind's resources; namespace null: across all namespaces. */
export function resourceList(
  plural: string,
  kubeKind: string,
  namespace: string | null,
  items: readonly TrafficMetrics[],
): TrafficMetricsList {
  return {
    kind: TRAFFIC_METRICS_LIST,
    apiVersion: GROUP_VERSION,
    metadata: { selfLink: listSelfLink(plural, namespace) },
    resource: namespace === null ? { kind: kubeKind } : { kind: kubeKind, namespace },
    items,
  };
}

/** The edges of one resource. */
export function edgeList(ref: ResourceRef, items: readonly TrafficMetrics[]): TrafficMetricsList {
  return {
    kind: TRAFFIC_METRICS_LIST,
    apiVersion: GROUP_VERSION,
    metadata: { selfLink: `${selfLink(ref)}/edges` },
    resource: objectReference(ref),
    items,
  };
}
