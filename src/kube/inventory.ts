// The cluster as the source of truth for which resources exist. Informers keep
// namespaces, workloads and pods in memory; a listing is the join of what
// exists (even idle) and what the backend has seen traffic for (even if gone).

import { KIND_INFO, type ResourceKind } from "../domain/kinds.ts";
import { compareRefs, refKey, sameRef, type ResourceRef } from "../domain/resource.ts";
import { matchesSelector, type LabelSelector } from "../domain/selector.ts";
import type { PodFacts, WorkloadResolver } from "../mesh/infer.ts";
import type { Inventory, InventoryItem, InventoryScope, PodCounts } from "../service/inventory.ts";
import type { KubeClient } from "./client.ts";
import { slimObject, slimPod, type SlimObject, type SlimPod } from "./objects.ts";
import { Reflector, type ReflectorOptions } from "./reflector.ts";

const PATHS: Readonly<Record<ResourceKind, string>> = {
  NAMESPACE: "/api/v1/namespaces",
  POD: "/api/v1/pods",
  DEPLOYMENT: "/apis/apps/v1/deployments",
  DAEMONSET: "/apis/apps/v1/daemonsets",
  STATEFULSET: "/apis/apps/v1/statefulsets",
  REPLICASET: "/apis/apps/v1/replicasets",
  JOB: "/apis/batch/v1/jobs",
};

/** When several workload kinds share a name, the one a mesh most likely means. */
const WORKLOAD_PREFERENCE: readonly ResourceKind[] = ["DEPLOYMENT", "STATEFULSET", "DAEMONSET", "JOB", "REPLICASET"];

const KIND_BY_KUBE_KIND = new Map<string, ResourceKind>(Object.values(KIND_INFO).map((i) => [i.kubeKind, i.kind]));

export interface KubeInventoryOptions {
  readonly log?: (message: string) => void;
  /** Tuning for tests; production uses the reflector's defaults. */
  readonly reflector?: Pick<ReflectorOptions<SlimObject>, "watchTimeoutSeconds" | "backoffMinMs" | "backoffMaxMs" | "pageSize">;
}

/** Derived from pods and owners; rebuilt lazily after any change. */
interface Derived {
  /** refKey -> pod counts, for every resource that has at least one (non-terminated) pod */
  readonly counts: Map<string, { meshed: number; total: number }>;
  /** Every pod with its top owner (itself when bare), for mesh specs' own rules. */
  readonly pods: PodFacts[];
}

const ZERO: PodCounts = { meshed: 0, total: 0 };

function emptySelector(s: LabelSelector | null): boolean {
  return s === null || s.requirements.length === 0;
}

export class KubeInventory implements Inventory, WorkloadResolver {
  readonly source = "kubernetes" as const;
  private readonly reflectors: Record<ResourceKind, Reflector<SlimObject>>;
  private readonly pods: Reflector<SlimPod>;
  private derived: Derived | null = null;
  private readonly server: string;
  /** Counts changes of the cluster copy (WorkloadResolver.generation). */
  generation = 0;

  constructor(client: KubeClient, options: KubeInventoryOptions = {}) {
    this.server = client.server;
    const onChange = (): void => {
      this.derived = null;
      this.generation++;
    };
    const common = { onChange, log: options.log, ...options.reflector };
    this.pods = new Reflector<SlimPod>(client, { ...common, path: PATHS.POD, decode: slimPod });
    const make = (kind: ResourceKind): Reflector<SlimObject> =>
      kind === "POD" ? this.pods : new Reflector<SlimObject>(client, { ...common, path: PATHS[kind], decode: slimObject });
    this.reflectors = {
      NAMESPACE: make("NAMESPACE"),
      POD: make("POD"),
      DEPLOYMENT: make("DEPLOYMENT"),
      DAEMONSET: make("DAEMONSET"),
      STATEFULSET: make("STATEFULSET"),
      REPLICASET: make("REPLICASET"),
      JOB: make("JOB"),
    };
    for (const r of Object.values(this.reflectors)) r.start();
  }

  /**
   * Resolves once every collection has been listed once. Rejects (with a
   * KubeApiError) when a first list fails for a reason retrying cannot fix:
   * 401, 403 (missing RBAC) or 404. With a timeout, also rejects when not
   * every collection has listed by then: an unreachable or failing API server
   * is otherwise retried forever. Until it resolves, list() and get() see a
   * partial cluster; await it at start-up.
   */
  async ready(timeoutMs?: number): Promise<void> {
    const synced = Promise.all(Object.values(this.reflectors).map((r) => r.synced));
    if (timeoutMs === undefined) {
      await synced;
      return;
    }
    let timer: NodeJS.Timeout | undefined;
    const deadline = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new Error(this.notListed(timeoutMs))), timeoutMs);
    });
    try {
      await Promise.race([synced, deadline]);
    } finally {
      clearTimeout(timer);
    }
  }

  close(): void {
    for (const r of Object.values(this.reflectors)) r.stop();
  }

  /** Counters per collection, for /metrics and tests. */
  stats(): Record<ResourceKind, { lists: number; watches: number; failures: number; expired: number; size: number }> {
    const out = {} as Record<ResourceKind, { lists: number; watches: number; failures: number; expired: number; size: number }>;
    for (const [kind, r] of Object.entries(this.reflectors) as [ResourceKind, Reflector<SlimObject>][]) {
      out[kind] = { ...r.stats, size: r.size };
    }
    return out;
  }

  private notListed(timeoutMs: number): string {
    const waiting = Object.values(this.reflectors)
      .filter((r) => !r.listed)
      .map((r) => `${r.path} (${r.lastError ?? "no answer yet"})`);
    return (
      `kubernetes API server ${this.server}: not every collection listed within ${timeoutMs / 1000} s; still waiting for ` +
      `${waiting.join(", ")}`
    );
  }

  list(scope: InventoryScope, seen: readonly ResourceRef[]): InventoryItem[] {
    const out = new Map<string, InventoryItem>();
    const inScope = (ns: string | null): boolean => scope.namespace === null || ns === scope.namespace;
    const namespaced = KIND_INFO[scope.kind].namespaced;
    for (const o of this.reflectors[scope.kind].values()) {
      const ref = this.refOf(scope.kind, o);
      // A namespace "in" a namespace scope is that namespace itself.
      if (!inScope(namespaced ? ref.namespace : ref.name)) continue;
      if (scope.selector && !matchesSelector(scope.selector, o.labels)) continue;
      out.set(refKey(ref), this.present(ref, o));
    }
    // Labels of a gone resource are unknown: it can match only a selector that asks nothing.
    if (emptySelector(scope.selector)) {
      for (const ref of seen) {
        if (ref.kind !== scope.kind || !inScope(namespaced ? ref.namespace : ref.name)) continue;
        const k = refKey(ref);
        if (!out.has(k)) out.set(k, this.gone(ref));
      }
    }
    return [...out.values()].sort((a, b) => compareRefs(a.ref, b.ref));
  }

  get(ref: ResourceRef, seen: readonly ResourceRef[]): InventoryItem | null {
    const o = this.find(ref);
    if (o) return this.present(ref, o);
    return seen.some((s) => sameRef(s, ref)) ? this.gone(ref) : null;
  }

  /**
   * The workload that runs a pod: the Deployment of its ReplicaSet, else its
   * ReplicaSet, StatefulSet, DaemonSet or Job. null for an unknown or bare pod.
   */
  ownerOf(namespace: string, podName: string): ResourceRef | null {
    const pod = this.pods.get(namespace, podName);
    return pod ? this.topOwner(pod) : null;
  }

  /**
   * Which kind of workload is called `name` in the namespace (Istio and Consul
   * metrics name workloads without their kind). null when none is.
   */
  workloadKind(namespace: string, name: string): ResourceKind | null {
    return WORKLOAD_PREFERENCE.find((k) => this.reflectors[k].get(namespace, name) !== undefined) ?? null;
  }

  /** Every pod, finished ones too, with its labels, annotations and top owner. */
  podFacts(): readonly PodFacts[] {
    return this.derive().pods;
  }

  /** The pod's chain of owners, nearest first, limited to kinds meshql reports on. */
  private ownerChain(pod: SlimPod): ResourceRef[] {
    const chain: ResourceRef[] = [];
    let owner = pod.owner;
    // Two hops cover pod -> ReplicaSet -> Deployment; more would mean a cycle or an unknown controller.
    for (let hop = 0; owner && hop < 2; hop++) {
      const kind = KIND_BY_KUBE_KIND.get(owner.kind);
      if (!kind || kind === "POD" || kind === "NAMESPACE") break;
      chain.push({ kind, namespace: pod.namespace, name: owner.name });
      if (kind !== "REPLICASET") break;
      owner = this.reflectors.REPLICASET.get(pod.namespace, owner.name)?.owner ?? null;
      if (owner && owner.kind !== "Deployment") break;
    }
    return chain;
  }

  private topOwner(pod: SlimPod): ResourceRef | null {
    return this.ownerChain(pod).at(-1) ?? null;
  }

  /**
   * One pass over the pods per change of the cluster copy, so that per-request
   * lookups (pod counts, owners) never walk owner chains.
   */
  private derive(): Derived {
    if (this.derived) return this.derived;
    const counts = new Map<string, { meshed: number; total: number }>();
    const bump = (ref: ResourceRef, meshed: boolean): void => {
      const k = refKey(ref);
      const c = counts.get(k) ?? { meshed: 0, total: 0 };
      c.total++;
      if (meshed) c.meshed++;
      counts.set(k, c);
    };
    const pods: PodFacts[] = [];
    for (const p of this.pods.values()) {
      const chain = this.ownerChain(p);
      const podRef: ResourceRef = { kind: "POD", namespace: p.namespace, name: p.name };
      // A bare pod is its own workload. Finished pods still tell which workload a service is.
      pods.push({ namespace: p.namespace, name: p.name, labels: p.labels, annotations: p.annotations, owner: chain.at(-1) ?? podRef });
      if (p.terminated) continue;
      bump({ kind: "NAMESPACE", namespace: null, name: p.namespace }, p.meshed);
      bump(podRef, p.meshed);
      for (const owner of chain) bump(owner, p.meshed);
    }
    this.derived = { counts, pods };
    return this.derived;
  }

  private podCounts(ref: ResourceRef): PodCounts {
    const c = this.derive().counts.get(refKey(ref));
    return c ? { meshed: c.meshed, total: c.total } : ZERO;
  }

  private refOf(kind: ResourceKind, o: SlimObject): ResourceRef {
    return KIND_INFO[kind].namespaced ? { kind, namespace: o.namespace, name: o.name } : { kind, namespace: null, name: o.name };
  }

  private find(ref: ResourceRef): SlimObject | undefined {
    return this.reflectors[ref.kind].get(KIND_INFO[ref.kind].namespaced ? (ref.namespace ?? "") : "", ref.name);
  }

  private present(ref: ResourceRef, o: SlimObject): InventoryItem {
    return { ref, labels: o.labels, pods: this.podCounts(ref), inCluster: true };
  }

  private gone(ref: ResourceRef): InventoryItem {
    // Pods may outlive their owner (orphaned), so count them rather than assume none.
    return { ref, labels: null, pods: this.podCounts(ref), inCluster: false };
  }
}
