// Mapping between resource references and label pairs (namespace label, name
// label) on backend series, shared by the Prometheus-reading adapters.

import type { ResourceKind } from "../domain/kinds.ts";
import type { ResourceRef } from "../domain/resource.ts";
import { type Matcher, oneOf } from "../prometheus/promql.ts";
import type { SeriesEnd } from "./spec.ts";

export interface RefLabels {
  readonly namespace: string;
  readonly name: string;
  /**
   * Where the name is composed from other labels when `name` is absent: a
   * Deployment's ReplicaSet is `<deployment>-<pod-template-hash>`.
   */
  readonly composed?: { readonly owner: string; readonly hash: string };
}

/** Matchers selecting series of any of the refs (a superset: the product of namespaces and names). */
export function refMatchers(kind: ResourceKind, refs: readonly ResourceRef[], labels: RefLabels): Matcher[] {
  if (kind === "NAMESPACE")
    return [
      oneOf(
        labels.namespace,
        refs.map((r) => r.name),
      ),
    ];
  const namespaces = oneOf(
    labels.namespace,
    refs.map((r) => r.namespace ?? ""),
  );
  // A composed name has no single label to match: the namespace narrows it, refFromLabels picks.
  return labels.composed
    ? [namespaces]
    : [
        namespaces,
        oneOf(
          labels.name,
          refs.map((r) => r.name),
        ),
      ];
}

/** The group-by labels that identify a resource of this kind. */
export function groupLabels(kind: ResourceKind, labels: RefLabels): string[] {
  if (kind === "NAMESPACE") return [labels.namespace];
  return labels.composed ? [labels.namespace, labels.name, labels.composed.owner, labels.composed.hash] : [labels.namespace, labels.name];
}

export function refFromLabels(kind: ResourceKind, series: Readonly<Record<string, string>>, labels: RefLabels): ResourceRef | null {
  const namespace = series[labels.namespace];
  if (!namespace) return null;
  if (kind === "NAMESPACE") return { kind, namespace: null, name: namespace };
  const name = series[labels.name] || composedName(series, labels);
  return name ? { kind, namespace, name } : null;
}

function composedName(series: Readonly<Record<string, string>>, labels: RefLabels): string | null {
  if (!labels.composed) return null;
  const owner = series[labels.composed.owner];
  const hash = series[labels.composed.hash];
  return owner && hash ? `${owner}-${hash}` : null;
}

/** An end of a series whose labels name the resource directly (no directory). */
export function directEnd(labelsOf: (kind: ResourceKind) => RefLabels): SeriesEnd<unknown> {
  return {
    matchers: (kind, refs) => refMatchers(kind, refs, labelsOf(kind)),
    group: (kind) => groupLabels(kind, labelsOf(kind)),
    refOf: (kind, labels) => refFromLabels(kind, labels, labelsOf(kind)),
  };
}
