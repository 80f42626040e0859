// Consul metrics name services, not workloads. One cheap grouping query lists
// every (namespace, service, pod) whose sidecar served or called in a period;
// a service maps to the workload owning its pods, in their namespace: the
// resolver's answer (the Kubernetes inventory) when it has one, else the owner
// most of its pods' names point to, else a Deployment named like the service.

import { promRange, type Window } from "../../domain/window.ts";
import type { Sample } from "../../prometheus/client.ts";
import { by, eq, type Matcher, neq, selector } from "../../prometheus/promql.ts";
import { commonPodOwner, type ObservedWorkload, type WorkloadResolver } from "../infer.ts";
import { CONSUL, DOWNSTREAM_COMPLETED, PUBLIC_LISTENER, UPSTREAM_COMPLETED } from "./labels.ts";

/** Its text depends only on the period (and a listing's namespace), so one window's calls share it. */
export function directoryQuery(period: Window, namespace: string | null = null): string {
  const scoped = (matchers: Matcher[]): Matcher[] => (namespace === null ? matchers : [...matchers, eq(CONSUL.namespace, namespace)]);
  const group = by([CONSUL.namespace, CONSUL.service, CONSUL.pod]);
  const range = promRange(period);
  // Servers show on their public listener, clients on their upstream clusters (local_app has no destination).
  return (
    `group ${group} (present_over_time(${selector(DOWNSTREAM_COMPLETED, scoped([eq(CONSUL.prefix, PUBLIC_LISTENER)]))}[${range}])) or ` +
    `group ${group} (present_over_time(${selector(UPSTREAM_COMPLETED, scoped([neq(CONSUL.dstService, "")]))}[${range}]))`
  );
}

export class ConsulDirectory {
  private readonly services = new Map<string, ObservedWorkload>();

  constructor(
    samples: readonly Sample[],
    private readonly resolver: WorkloadResolver | null,
  ) {
    const pods = new Map<string, { namespace: string; service: string; pods: Set<string> }>();
    for (const s of samples) {
      const namespace = s.labels[CONSUL.namespace];
      const service = s.labels[CONSUL.service];
      if (!namespace || !service) continue;
      const key = `${namespace}/${service}`;
      let entry = pods.get(key);
      if (!entry) pods.set(key, (entry = { namespace, service, pods: new Set() }));
      const pod = s.labels[CONSUL.pod];
      if (pod) entry.pods.add(pod);
    }
    for (const [key, e] of pods) this.services.set(key, this.owner(e.namespace, e.service, e.pods));
  }

  /** The workload behind a service; one never seen serving (e.g. outside the mesh) falls back like the rest. */
  get(namespace: string, service: string): ObservedWorkload {
    return this.services.get(`${namespace}/${service}`) ?? this.owner(namespace, service, new Set());
  }

  all(): IterableIterator<ObservedWorkload> {
    return this.services.values();
  }

  private owner(namespace: string, service: string, pods: ReadonlySet<string>): ObservedWorkload {
    const known = this.resolver?.consulServiceOwner(namespace, service);
    if (known) return { namespace: known.namespace ?? namespace, name: known.name, kind: known.kind, pods };
    const inferred = commonPodOwner(pods);
    if (inferred) return { namespace, name: inferred.name, kind: inferred.kind, pods };
    return { namespace, name: service, kind: "DEPLOYMENT", pods };
  }
}
