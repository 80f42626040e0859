// Consul metrics name services, not workloads. One cheap grouping query lists
// every (namespace, service, pod) whose sidecar served or called in a period;
// a service maps to the workload owning its pods, in their namespace: the
// resolver's answer (the Kubernetes inventory) when it has one, else the owner
// most of its pods' names point to, else a Deployment named like the service.
//
// The same rows place a client's upstream in a Kubernetes namespace: its
// labels give a Consul namespace, which is the Kubernetes one only under
// consul-k8s namespace mirroring (Consul Enterprise). On Consul OSS every
// service is in `default`, so the upstream's Kubernetes namespace is read
// from the servers that register that Consul (namespace, service) instead.

import { promRange, type Window } from "../../domain/window.ts";
import type { Sample } from "../../prometheus/client.ts";
import { by, eq, type Matcher, neq, selector } from "../../prometheus/promql.ts";
import { commonPodOwner, type ObservedWorkload, type WorkloadResolver } from "../infer.ts";
import { consulServiceOwner } from "./owner.ts";
import { CONSUL, CONSUL_DEFAULT_NAMESPACE, DOWNSTREAM_COMPLETED, PUBLIC_LISTENER, UPSTREAM_COMPLETED } from "./labels.ts";

/**
 * Its text depends only on the period (and a listing's namespace), so one window's calls share it.
 * `narrow` adds matchers to both sides (an existence check's: see ./seen.ts).
 */
export function directoryQuery(period: Window, namespace: string | null = null, narrow: readonly Matcher[] = []): string {
  const scoped = (matchers: Matcher[]): Matcher[] => [
    ...matchers,
    ...narrow,
    ...(namespace === null ? [] : [eq(CONSUL.namespace, namespace)]),
  ];
  // Only the servers' rows keep the listener prefix (upstream stats have none), so a pod that both
  // serves and calls gives two rows, which `or` keeps apart, and the servers can be told from clients.
  const group = by([CONSUL.namespace, CONSUL.srcNamespace, CONSUL.service, CONSUL.pod, CONSUL.prefix]);
  const range = promRange(period);
  // Servers show on their public listener, clients on their upstream clusters (local_app has no destination).
  return (
    `group ${group} (present_over_time(${selector(DOWNSTREAM_COMPLETED, scoped([eq(CONSUL.prefix, PUBLIC_LISTENER)]))}[${range}])) or ` +
    `group ${group} (present_over_time(${selector(UPSTREAM_COMPLETED, scoped([neq(CONSUL.dstService, "")]))}[${range}]))`
  );
}

/** Consul OSS has no namespaces: its tag says `default`, or is missing on older versions. */
const consulNamespaceOf = (label: string | undefined): string => label || CONSUL_DEFAULT_NAMESPACE;
const key = (namespace: string, service: string): string => `${namespace}/${service}`;

export class ConsulDirectory {
  private readonly services = new Map<string, ObservedWorkload>();
  /** `<Consul namespace>/<service>` -> the Kubernetes namespaces of the pods seen serving it. */
  private readonly servers = new Map<string, Set<string>>();

  constructor(
    samples: readonly Sample[],
    private readonly resolver: WorkloadResolver | null,
  ) {
    const pods = new Map<string, { namespace: string; service: string; pods: Set<string> }>();
    for (const s of samples) {
      const namespace = s.labels[CONSUL.namespace];
      const service = s.labels[CONSUL.service];
      if (!namespace || !service) continue;
      let entry = pods.get(key(namespace, service));
      if (!entry) pods.set(key(namespace, service), (entry = { namespace, service, pods: new Set() }));
      const pod = s.labels[CONSUL.pod];
      if (pod) entry.pods.add(pod);
      if (s.labels[CONSUL.prefix] === PUBLIC_LISTENER) {
        const served = key(consulNamespaceOf(s.labels[CONSUL.srcNamespace]), service);
        const namespaces = this.servers.get(served) ?? new Set<string>();
        this.servers.set(served, namespaces.add(namespace));
      }
    }
    for (const [k, e] of pods) this.services.set(k, this.owner(e.namespace, e.service, e.pods));
  }

  /** The workload behind a service; one never seen serving (e.g. outside the mesh) falls back like the rest. */
  get(namespace: string, service: string): ObservedWorkload {
    return this.services.get(key(namespace, service)) ?? this.owner(namespace, service, new Set());
  }

  all(): IterableIterator<ObservedWorkload> {
    return this.services.values();
  }

  /**
   * The Kubernetes namespace of the upstream `service` in Consul namespace
   * `consulNamespace` (the label's value) that a client in `callerNamespace`
   * calls: the one namespace whose pods serve it; of several, the caller's
   * own; otherwise null (ambiguous, or `default` with no server seen). A
   * service no server was seen for in a named Consul namespace is read as
   * mirrored. docs/meshes.md states the rule.
   */
  upstreamNamespace(consulNamespace: string | undefined, service: string, callerNamespace: string): string | null {
    const namespace = consulNamespaceOf(consulNamespace);
    const served = this.servers.get(key(namespace, service));
    if (!served) return namespace === CONSUL_DEFAULT_NAMESPACE ? null : namespace;
    if (served.size === 1) return [...served][0]!;
    return served.has(callerNamespace) ? callerNamespace : null;
  }

  private owner(namespace: string, service: string, pods: ReadonlySet<string>): ObservedWorkload {
    const known = this.resolver && consulServiceOwner(this.resolver, namespace, service);
    if (known) return { namespace: known.namespace ?? namespace, name: known.name, kind: known.kind, pods };
    const inferred = commonPodOwner(pods);
    if (inferred) return { namespace, name: inferred.name, kind: inferred.kind, pods };
    return { namespace, name: service, kind: "DEPLOYMENT", pods };
  }
}
