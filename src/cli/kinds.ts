// Resource arguments as kubectl and linkerd accept them: "deploy", "deployments",
// "deploy/web", "sts", "ns"... resolved to the GraphQL ResourceKind.

import { KIND_INFO, RESOURCE_KINDS, type ResourceKind } from "../domain/kinds.ts";
import { UsageError } from "./options.ts";

const SHORT: Readonly<Record<ResourceKind, readonly string[]>> = {
  NAMESPACE: ["ns"],
  POD: ["po"],
  DEPLOYMENT: ["deploy"],
  DAEMONSET: ["ds"],
  STATEFULSET: ["sts"],
  REPLICASET: ["rs"],
  JOB: [],
};

const BY_NAME = new Map<string, ResourceKind>(
  RESOURCE_KINDS.flatMap((kind) => [KIND_INFO[kind].singular, KIND_INFO[kind].plural, ...SHORT[kind]].map((n) => [n, kind] as const)),
);

export function kindOf(text: string): ResourceKind {
  const kind = BY_NAME.get(text.toLowerCase());
  if (!kind) {
    const names = RESOURCE_KINDS.map((k) => [...SHORT[k], KIND_INFO[k].singular].join("|")).join(", ");
    throw new UsageError(`unknown resource kind ${JSON.stringify(text)}; use one of ${names}`);
  }
  return kind;
}

export interface ResourceArg {
  readonly kind: ResourceKind;
  readonly name: string | null;
}

/** "deploy/web", or "deploy" with the name as a separate argument. */
export function resourceArg(text: string, separateName?: string): ResourceArg {
  const slash = text.indexOf("/");
  const kind = kindOf(slash < 0 ? text : text.slice(0, slash));
  const inline = slash < 0 ? null : text.slice(slash + 1);
  if (inline !== null && separateName !== undefined)
    throw new UsageError(`give the name once: ${text} or ${text.slice(0, slash)} ${separateName}`);
  const name = inline ?? separateName ?? null;
  if (name === "") throw new UsageError(`${JSON.stringify(text)} has an empty name`);
  return { kind, name };
}

/** The kubectl-style short name used in output, e.g. "deploy/web". */
export function shortRef(kind: ResourceKind, name: string): string {
  return `${SHORT[kind][0] ?? KIND_INFO[kind].singular}/${name}`;
}
