// Consul's existence check of a few resources, over their own rows instead of
// the namespace listing. A service maps to the workload that owns its pods
// (directory.ts), decided by all of the service's pods, so a workload's
// services are unknown until its pods are found. Two small queries: first the
// rows of pods named after the workload (every pod name the inference reads as
// its own begins `<name>-`), then every row of the services those pods serve,
// of the service named like the workload, and of those its pods declare to
// the cluster. Exact: a canary's few pods in a service that its stable
// Deployment owns still read as the stable one's, as in the listing.

import type { ResourceKind } from "../../domain/kinds.ts";
import type { ResourceRef } from "../../domain/resource.ts";
import type { Window } from "../../domain/window.ts";
import type { Sample } from "../../prometheus/client.ts";
import { oneOf, startsWith } from "../../prometheus/promql.ts";
import { type WorkloadResolver, workloadNamesFor } from "../infer.ts";
import { directoryQuery } from "./directory.ts";
import { CONSUL } from "./labels.ts";
import { consulServicesOf } from "./owner.ts";

/** Kinds whose rows are labelled directly: one query. */
const direct = (kind: ResourceKind): boolean => kind === "NAMESPACE" || kind === "POD";
const namespacesOf = (only: readonly ResourceRef[]): string[] => only.map((r) => r.namespace ?? "");
const workloadNames = (kind: ResourceKind, only: readonly ResourceRef[]): string[] => only.flatMap((r) => workloadNamesFor(kind, r.name));

/** The listing, or with `only` its pods' (or namespaces') rows, or the rows that find a workload's services. */
export function seenQuery(kind: ResourceKind, period: Window, namespace: string | null, only?: readonly ResourceRef[]): string {
  if (!only || only.length === 0) return directoryQuery(period, namespace);
  const names = only.map((r) => r.name);
  if (kind === "NAMESPACE") return directoryQuery(period, null, [oneOf(CONSUL.namespace, names)]);
  const namespaces = oneOf(CONSUL.namespace, namespacesOf(only));
  if (kind === "POD") return directoryQuery(period, null, [namespaces, oneOf(CONSUL.pod, names)]);
  const podPrefixes = workloadNames(kind, only).map((name) => `${name}-`);
  return directoryQuery(period, null, [namespaces, startsWith(CONSUL.pod, podPrefixes)]);
}

/** For workloads: every row of the services found, which refs() maps as the listing would. */
export function refineSeen(
  kind: ResourceKind,
  period: Window,
  only: readonly ResourceRef[],
  first: readonly Sample[],
  resolver: WorkloadResolver | null,
): string | null {
  if (direct(kind)) return null;
  const names = workloadNames(kind, only);
  const namespaces = namespacesOf(only);
  const services = [
    ...names,
    ...first.flatMap((s) => s.labels[CONSUL.service] ?? []),
    ...(resolver ? consulServicesOf(resolver, new Set(namespaces), new Set(names)) : []),
  ];
  return directoryQuery(period, null, [oneOf(CONSUL.namespace, namespaces), oneOf(CONSUL.service, services)]);
}
