// Mapping between resource references and label pairs (namespace label, name
// label) on backend series, shared by the Prometheus-reading adapters.

import type { ResourceKind } from "../domain/kinds.ts";
import { refKey, type ResourceRef } from "../domain/resource.ts";
import { type Matcher, oneOf } from "../prometheus/promql.ts";

export interface RefLabels {
  readonly namespace: string;
  readonly name: string;
}

/** Matchers selecting series of any of the refs (a superset: the product of namespaces and names). */
export function refMatchers(kind: ResourceKind, refs: readonly ResourceRef[], labels: RefLabels): Matcher[] {
  if (kind === "NAMESPACE") return [oneOf(labels.namespace, refs.map((r) => r.name))];
  return [oneOf(labels.namespace, refs.map((r) => r.namespace ?? "")), oneOf(labels.name, refs.map((r) => r.name))];
}

/** The group-by labels that identify a resource of this kind. */
export function groupLabels(kind: ResourceKind, labels: RefLabels): string[] {
  return kind === "NAMESPACE" ? [labels.namespace] : [labels.namespace, labels.name];
}

export function refFromLabels(kind: ResourceKind, series: Readonly<Record<string, string>>, labels: RefLabels): ResourceRef | null {
  const namespace = series[labels.namespace];
  if (!namespace) return null;
  if (kind === "NAMESPACE") return { kind, namespace: null, name: namespace };
  const name = series[labels.name];
  return name ? { kind, namespace, name } : null;
}

/** refKey of every ref, for membership tests on answers that cover a superset. */
export function keySet(refs: readonly ResourceRef[]): Set<string> {
  return new Set(refs.map(refKey));
}
