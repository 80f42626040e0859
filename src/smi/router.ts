// Maps a request path to one SMI operation. Pure: no I/O, no validation of
// names (the service does that), only the shape of the path. Unknown shapes
// and unknown plurals are "not found", as the Kubernetes API server answers.

import { kindFromPlural, KIND_INFO, type KindInfo } from "../domain/kinds.ts";
import { GROUP, VERSION } from "./api.ts";

export type SmiRoute =
  | { readonly op: "groupList" }
  | { readonly op: "group" }
  | { readonly op: "resourceList" }
  /** namespace null: across all namespaces (and always for namespaces themselves) */
  | { readonly op: "list"; readonly kind: KindInfo; readonly namespace: string | null }
  | { readonly op: "get"; readonly kind: KindInfo; readonly namespace: string | null; readonly name: string }
  | { readonly op: "edges"; readonly kind: KindInfo; readonly namespace: string | null; readonly name: string };

export type RouteResult =
  | { readonly ok: true; readonly route: SmiRoute }
  /** reason "notFound" for unknown shapes; "badPath" for undecodable ones. */
  | { readonly ok: false; readonly reason: "notFound" | "badPath"; readonly message: string };

const notFound = (message = "the server could not find the requested resource"): RouteResult => ({
  ok: false,
  reason: "notFound",
  message,
});

/**
 * Splits and percent-decodes a path. One trailing slash is accepted; an empty
 * inner segment ("//") matches nothing; a malformed escape is a bad request.
 */
export function pathSegments(path: string): string[] | "empty" | "undecodable" {
  let trimmed = path;
  if (trimmed.length > 1 && trimmed.endsWith("/")) trimmed = trimmed.slice(0, -1);
  if (!trimmed.startsWith("/")) return "empty";
  const raw = trimmed === "/" ? [] : trimmed.slice(1).split("/");
  const out: string[] = [];
  for (const s of raw) {
    if (s === "") return "empty";
    try {
      out.push(decodeURIComponent(s));
    } catch {
      return "undecodable";
    }
  }
  return out;
}

/** Why a path that does not percent-decode is refused (first 200 characters shown). */
export function badPathMessage(path: string): string {
  return `the path ${JSON.stringify(path.slice(0, 200))} is not a valid request path: it does not percent-decode to UTF-8`;
}

/** Routes a path such as "/apis/metrics.smi-spec.io/v1alpha1/namespaces/x/deployments". */
export function routeSmi(path: string): RouteResult {
  const segs = pathSegments(path);
  if (segs === "empty") return notFound();
  if (segs === "undecodable") return { ok: false, reason: "badPath", message: badPathMessage(path) };
  if (segs[0] !== "apis") return notFound();
  if (segs.length === 1) return { ok: true, route: { op: "groupList" } };
  if (segs[1] !== GROUP) return notFound();
  if (segs.length === 2) return { ok: true, route: { op: "group" } };
  if (segs[2] !== VERSION) return notFound();
  return routeResource(segs.slice(3));
}

function kind(plural: string): KindInfo | undefined {
  return kindFromPlural(plural);
}

function routeResource(rest: string[]): RouteResult {
  const ns = KIND_INFO.NAMESPACE;
  const unknownKind = (plural: string): RouteResult =>
    notFound(`the server could not find the requested resource: ${JSON.stringify(plural.slice(0, 100))} is not a TrafficMetrics resource`);
  const [a, b, c, d, e] = rest;
  switch (rest.length) {
    case 0:
      return { ok: true, route: { op: "resourceList" } };
    case 1: {
      const k = kind(a!);
      return k ? { ok: true, route: { op: "list", kind: k, namespace: null } } : unknownKind(a!);
    }
    case 2:
      // Only cluster-scoped kinds have /{plural}/{name}: that is namespaces.
      if (a === "namespaces") return { ok: true, route: { op: "get", kind: ns, namespace: null, name: b! } };
      return kind(a!) ? notFound() : unknownKind(a!);
    case 3:
      if (a !== "namespaces") return notFound();
      if (c === "edges") return { ok: true, route: { op: "edges", kind: ns, namespace: null, name: b! } };
      {
        const k = kind(c!);
        if (!k) return unknownKind(c!);
        if (!k.namespaced) return notFound();
        return { ok: true, route: { op: "list", kind: k, namespace: b! } };
      }
    case 4: {
      if (a !== "namespaces") return notFound();
      const k = kind(c!);
      if (!k) return unknownKind(c!);
      if (!k.namespaced) return notFound();
      return { ok: true, route: { op: "get", kind: k, namespace: b!, name: d! } };
    }
    case 5: {
      if (a !== "namespaces" || e !== "edges") return notFound();
      const k = kind(c!);
      if (!k) return unknownKind(c!);
      if (!k.namespaced) return notFound();
      return { ok: true, route: { op: "edges", kind: k, namespace: b!, name: d! } };
    }
    default:
      return notFound();
  }
}
