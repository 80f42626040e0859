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
// - Latency percentiles are LEFT OUT when there was no traffic. The reference
//   server reported NaN cast to garbage there; 0 would pose as data. Counts
//   are always present ("0" when idle). Values are canonical Quantity strings
//   with unit "ms" for latencies: {"unit":"ms","value":"9m"} is 0.009 ms.
// - items is [] for an empty list (the reference marshalled a nil slice as
//   null; the Kubernetes API server and every client accept []).

import type { EdgeView } from "../service/types.ts";
import type { GoldenMetrics } from "../domain/metrics.ts";
import { KIND_INFO } from "../domain/kinds.ts";
import { formatQuantity } from "../domain/quantity.ts";
import type { ResourceRef } from "../domain/resource.ts";
import { formatGoDuration } from "../domain/window.ts";
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

/** The five SMI metrics, latencies only where there was traffic. */
export function smiMetrics(m: GoldenMetrics): SmiMetric[] {
  const out: SmiMetric[] = [];
  const latency: Array<[string, number | null]> = [
    ["p99_response_latency", m.latency.p99],
    ["p90_response_latency", m.latency.p90],
    ["p50_response_latency", m.latency.p50],
  ];
  for (const [name, value] of latency) {
    if (value !== null && Number.isFinite(value)) out.push({ name, unit: "ms", value: formatQuantity(value) });
  }
  out.push({ name: "success_count", value: formatQuantity(m.successCount) });
  out.push({ name: "failure_count", value: formatQuantity(m.failureCount) });
  return out;
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
    window: formatGoDuration(m.window),
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
    window: formatGoDuration(e.metrics.window),
    resource: objectReference(e.resource),
    edge: { direction: e.direction === "FROM" ? "from" : "to", resource: objectReference(e.peer) },
    metrics: smiMetrics(e.metrics),
  };
}

/** A list of one kind's resources; namespace null: across all namespaces. */
export function resourceList(plural: string, kubeKind: string, namespace: string | null, items: readonly TrafficMetrics[]): TrafficMetricsList {
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
