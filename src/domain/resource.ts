// A reference to one Kubernetes resource. Namespaces have no namespace.

import { InvalidInputError } from "./errors.ts";
import { KIND_INFO, type ResourceKind } from "./kinds.ts";
import { validateLabelName, validateSubdomainName } from "./names.ts";

export interface ResourceRef {
  readonly kind: ResourceKind;
  /** null for NAMESPACE */
  readonly namespace: string | null;
  readonly name: string;
}

/** A stable string key, for maps and DataLoader caches. */
export function refKey(ref: ResourceRef): string {
  return `${ref.kind}/${ref.namespace ?? ""}/${ref.name}`;
}

/** Builds a validated reference from user input. */
export function resourceRef(kind: ResourceKind, namespace: string | null | undefined, name: string): ResourceRef {
  if (!KIND_INFO[kind].namespaced) {
    if (namespace != null && namespace !== name) {
      throw new InvalidInputError("namespace", `a ${KIND_INFO[kind].kubeKind} is not namespaced: omit namespace`);
    }
    return { kind, namespace: null, name: validateLabelName("name", name) };
  }
  if (namespace == null || namespace === "") {
    throw new InvalidInputError("namespace", `a ${KIND_INFO[kind].kubeKind} needs a namespace`);
  }
  return { kind, namespace: validateLabelName("namespace", namespace), name: validateSubdomainName("name", name) };
}

export function sameRef(a: ResourceRef, b: ResourceRef): boolean {
  return a.kind === b.kind && a.namespace === b.namespace && a.name === b.name;
}

/** Namespace, name, kind, in code-unit order: the same on every machine, whatever its locale. */
export function compareRefs(a: ResourceRef, b: ResourceRef): number {
  return compareCodeUnits(a.namespace ?? "", b.namespace ?? "") || compareCodeUnits(a.name, b.name) || compareCodeUnits(a.kind, b.kind);
}

/** Code-unit order (what `<` does on strings); localeCompare would vary with the machine's ICU and locale. */
function compareCodeUnits(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
