// The few fields of Kubernetes objects that meshql reads. Informers keep these
// slim copies rather than whole objects: a large cluster's pod specs would
// otherwise dominate the server's memory.

export interface OwnerRef {
  readonly kind: string;
  readonly name: string;
  readonly uid: string;
  readonly controller: boolean;
}

export interface SlimObject {
  /** "" for cluster-scoped objects */
  readonly namespace: string;
  readonly name: string;
  readonly uid: string;
  readonly resourceVersion: string;
  readonly labels: Readonly<Record<string, string>>;
  /** The controlling owner (controller: true), else the first owner; null when none. */
  readonly owner: OwnerRef | null;
}

export interface SlimPod extends SlimObject {
  readonly meshed: boolean;
  /** Succeeded or Failed: the pod no longer runs and is left out of pod counts. */
  readonly terminated: boolean;
  readonly annotations: Readonly<Record<string, string>>;
}

type Json = Record<string, unknown>;

function obj(v: unknown): Json | null {
  return v !== null && typeof v === "object" && !Array.isArray(v) ? (v as Json) : null;
}

function str(v: unknown): string | null {
  return typeof v === "string" ? v : null;
}

function stringMap(v: unknown): Record<string, string> {
  const o = obj(v);
  const out: Record<string, string> = {};
  if (!o) return out;
  for (const [k, val] of Object.entries(o)) if (typeof val === "string") out[k] = val;
  return out;
}

function ownerOf(meta: Json): OwnerRef | null {
  const refs = Array.isArray(meta.ownerReferences) ? meta.ownerReferences : [];
  const owners: OwnerRef[] = [];
  for (const r of refs) {
    const o = obj(r);
    const kind = str(o?.kind);
    const name = str(o?.name);
    if (!o || !kind || !name) continue;
    owners.push({ kind, name, uid: str(o.uid) ?? "", controller: o.controller === true });
  }
  return owners.find((o) => o.controller) ?? owners[0] ?? null;
}

/** Decodes any object's metadata; null when it lacks a name (not a real object). */
export function slimObject(raw: unknown): SlimObject | null {
  const meta = obj(obj(raw)?.metadata);
  const name = str(meta?.name);
  if (!meta || !name) return null;
  return {
    namespace: str(meta.namespace) ?? "",
    name,
    uid: str(meta.uid) ?? "",
    resourceVersion: str(meta.resourceVersion) ?? "",
    labels: stringMap(meta.labels),
    owner: ownerOf(meta),
  };
}

/** Container names of the meshes' sidecars (Consul's differs by version and injector). */
export const PROXY_CONTAINERS: ReadonlySet<string> = new Set([
  "linkerd-proxy",
  "istio-proxy",
  "consul-dataplane",
  "envoy-sidecar",
  "consul-connect-envoy-sidecar",
]);

/** Annotations that injectors write on the pods they changed; any value counts. */
const INJECTED_ANNOTATIONS = ["linkerd.io/proxy-version", "sidecar.istio.io/status"];
const CONSUL_INJECT_STATUS = "consul.hashicorp.com/connect-inject-status";

function containerNames(spec: Json | null, field: "containers" | "initContainers", sidecarsOnly: boolean): string[] {
  const list = spec && Array.isArray(spec[field]) ? (spec[field] as unknown[]) : [];
  const names: string[] = [];
  for (const c of list) {
    const o = obj(c);
    const name = str(o?.name);
    // Native sidecars (Kubernetes 1.28+) are init containers that keep running.
    if (name && (!sidecarsOnly || o?.restartPolicy === "Always")) names.push(name);
  }
  return names;
}

export function isMeshedPod(raw: unknown): boolean {
  const o = obj(raw);
  const spec = obj(o?.spec);
  const annotations = stringMap(obj(o?.metadata)?.annotations);
  const names = [...containerNames(spec, "containers", false), ...containerNames(spec, "initContainers", true)];
  if (names.some((n) => PROXY_CONTAINERS.has(n))) return true;
  if (INJECTED_ANNOTATIONS.some((a) => Object.hasOwn(annotations, a))) return true;
  return annotations[CONSUL_INJECT_STATUS] === "injected";
}

export function slimPod(raw: unknown): SlimPod | null {
  const base = slimObject(raw);
  if (!base) return null;
  const o = obj(raw);
  const phase = str(obj(o?.status)?.phase);
  return {
    ...base,
    meshed: isMeshedPod(raw),
    terminated: phase === "Succeeded" || phase === "Failed",
    annotations: stringMap(obj(o?.metadata)?.annotations),
  };
}
