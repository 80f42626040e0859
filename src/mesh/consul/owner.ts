// Which workload serves a Consul service, from the cluster's generic pod
// facts: the owner of the pods that declare it in the annotation
// consul.hashicorp.com/connect-service, else of the pods labelled
// app=<service>, else a workload of that name. The most common owner wins.

import { compareRefs, refKey, type ResourceRef } from "../../domain/resource.ts";
import type { PodFacts, WorkloadResolver } from "../infer.ts";

const CONNECT_SERVICE = "consul.hashicorp.com/connect-service";

/** Owners of the pods that name one service, and how many pods each. */
type OwnerTally = Map<string, { readonly ref: ResourceRef; n: number }>;

const serviceKey = (namespace: string, service: string): string => `${namespace}/${service}`;

/** One pass over the pods per generation: a Consul query names many services, and a large cluster has many pods. */
const cache = new WeakMap<WorkloadResolver, { generation: number; owners: Map<string, ResourceRef> }>();

export function consulServiceOwner(resolver: WorkloadResolver, namespace: string, service: string): ResourceRef | null {
  let entry = cache.get(resolver);
  if (!entry || entry.generation !== resolver.generation) {
    entry = { generation: resolver.generation, owners: ownersFromPods(resolver) };
    cache.set(resolver, entry);
  }
  const fromPods = entry.owners.get(serviceKey(namespace, service));
  if (fromPods) return fromPods;
  const kind = resolver.workloadKind(namespace, service);
  return kind ? { kind, namespace, name: service } : null;
}

function ownersFromPods(resolver: WorkloadResolver): Map<string, ResourceRef> {
  const byAnnotation = new Map<string, OwnerTally>();
  const byApp = new Map<string, OwnerTally>();
  for (const p of resolver.podFacts()) {
    const declared = declaredServices(p);
    for (const service of new Set(declared)) tally(byAnnotation, serviceKey(p.namespace, service), p.owner);
    const app = p.labels.app;
    if (declared.length === 0 && app !== undefined) tally(byApp, serviceKey(p.namespace, app), p.owner);
  }
  const owners = new Map<string, ResourceRef>();
  // The annotation is the pods' own declaration, the app label only a convention: set last, it wins.
  for (const tallies of [byApp, byAnnotation]) {
    for (const [key, t] of tallies) {
      const owner = mostCommon(t);
      if (owner) owners.set(key, owner);
    }
  }
  return owners;
}

/** The services a pod declares in its connect-service annotation. */
function declaredServices(p: PodFacts): string[] {
  return (p.annotations[CONNECT_SERVICE] ?? "")
    .split(",")
    .map((s) => s.trim())
    .filter((s) => s !== "");
}

/**
 * The services that pods owned by workloads of these names, in these namespaces, declare or are
 * labelled app= with: a superset of the services consulServiceOwner gives to those workloads from pods.
 */
export function consulServicesOf(resolver: WorkloadResolver, namespaces: ReadonlySet<string>, names: ReadonlySet<string>): string[] {
  const out = new Set<string>();
  for (const p of resolver.podFacts()) {
    if (!namespaces.has(p.namespace) || !names.has(p.owner.name)) continue;
    for (const service of declaredServices(p)) out.add(service);
    if (p.labels.app !== undefined) out.add(p.labels.app);
  }
  return [...out];
}

function tally(tallies: Map<string, OwnerTally>, key: string, ref: ResourceRef): void {
  let t = tallies.get(key);
  if (!t) tallies.set(key, (t = new Map()));
  const k = refKey(ref);
  const e = t.get(k);
  if (e) e.n++;
  else t.set(k, { ref, n: 1 });
}

/** The owner with the most pods; ties go to the first in ref order, so the answer is stable. */
function mostCommon(t: OwnerTally): ResourceRef | undefined {
  let best: { ref: ResourceRef; n: number } | undefined;
  for (const e of t.values()) if (!best || e.n > best.n || (e.n === best.n && compareRefs(e.ref, best.ref) < 0)) best = e;
  return best?.ref;
}
