// Istio names workloads but not their kinds. One cheap grouping query lists
// every (namespace, workload, pod) seen by either reporter in a period; the
// kind of each workload comes from the resolver (the Kubernetes inventory)
// when it knows, else from its pod names (see ../infer.ts).

import type { ResourceKind } from "../../domain/kinds.ts";
import { promRange, type Window } from "../../domain/window.ts";
import type { Sample } from "../../prometheus/client.ts";
import type { ResourceRef } from "../../domain/resource.ts";
import { by, eq, type Matcher, oneOf, selector } from "../../prometheus/promql.ts";
import { inferWorkloadKind, type ObservedWorkload, type WorkloadResolver, workloadNamesFor } from "../infer.ts";
import { ISTIO, REQUESTS, UNKNOWN } from "./labels.ts";

/**
 * The query: the source reporter's series name the client pod, the
 * destination reporter's the server pod. Its text depends only on the period
 * (and the namespace of a listing), never on a batch's refs, so resourceStats
 * and edges of one window share it through the backend's coalescing.
 * `narrow` adds matchers to each side (an existence check's: see seenQuery).
 */
export function directoryQuery(
  period: Window,
  namespace: string | null = null,
  narrow: (namespaceLabel: string, workloadLabel: string) => Matcher[] = () => [],
): string {
  const side = (reporter: "source" | "destination", ns: string, name: string): string => {
    const matchers: Matcher[] = [eq(ISTIO.reporter, reporter), ...narrow(ns, name)];
    if (namespace !== null) matchers.push(eq(ns, namespace));
    return `group ${by([ns, name, ISTIO.pod])} (present_over_time(${selector(REQUESTS, matchers)}[${promRange(period)}]))`;
  };
  return `${side("source", ISTIO.srcNamespace, ISTIO.srcWorkload)} or ${side("destination", ISTIO.dstNamespace, ISTIO.dstWorkload)}`;
}

/**
 * The seen query; asking about a few resources reads their workloads' rows only. That is exact: a
 * workload's kind is inferred from its own rows (its name and pods), all of which its name selects,
 * so a Deployment and a StatefulSet of one name read as the namespace listing reads them. Pods and
 * namespaces are labels of the rows themselves.
 */
export function seenQuery(kind: ResourceKind, period: Window, namespace: string | null, only?: readonly ResourceRef[]): string {
  if (!only || only.length === 0) return directoryQuery(period, namespace);
  const names = only.map((r) => r.name);
  const namespaces = only.map((r) => r.namespace ?? "");
  const workloads = only.flatMap((r) => workloadNamesFor(kind, r.name));
  return directoryQuery(period, null, (ns, name) => {
    if (kind === "NAMESPACE") return [oneOf(ns, names)];
    // Either reporter's `pod` is its own side's pod.
    if (kind === "POD") return [oneOf(ns, namespaces), oneOf(ISTIO.pod, names)];
    return [oneOf(ns, namespaces), oneOf(name, workloads)];
  });
}

export class IstioDirectory {
  private readonly workloads = new Map<string, ObservedWorkload>();

  constructor(
    samples: readonly Sample[],
    private readonly resolver: WorkloadResolver | null,
  ) {
    const pods = new Map<string, { namespace: string; name: string; pods: Set<string> }>();
    for (const s of samples) {
      const namespace = s.labels[ISTIO.srcNamespace] ?? s.labels[ISTIO.dstNamespace];
      const name = s.labels[ISTIO.srcWorkload] ?? s.labels[ISTIO.dstWorkload];
      if (!namespace || !name || namespace === UNKNOWN || name === UNKNOWN) continue;
      const key = `${namespace}/${name}`;
      let entry = pods.get(key);
      if (!entry) pods.set(key, (entry = { namespace, name, pods: new Set() }));
      const pod = s.labels[ISTIO.pod];
      if (pod) entry.pods.add(pod);
    }
    for (const [key, e] of pods) {
      const kind: ResourceKind = resolver?.workloadKind(e.namespace, e.name) ?? inferWorkloadKind(e.name, e.pods);
      this.workloads.set(key, { namespace: e.namespace, name: e.name, kind, pods: e.pods });
    }
  }

  /** The workload as seen; one never seen (e.g. outside the period) is taken for a Deployment without pods. */
  get(namespace: string, name: string): ObservedWorkload {
    return (
      this.workloads.get(`${namespace}/${name}`) ?? {
        namespace,
        name,
        kind: this.resolver?.workloadKind(namespace, name) ?? "DEPLOYMENT",
        pods: new Set(),
      }
    );
  }

  all(): IterableIterator<ObservedWorkload> {
    return this.workloads.values();
  }
}
