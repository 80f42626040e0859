// Kubernetes Status objects for every failure of the SMI API, so kubectl and
// client-go show "Error from server (Reason): message" as for any API server.
// Key order follows the Go struct (TypeMeta, metadata, status, message,
// reason, details, code), which is what the API server emits.

import { classifyFailure, type FailureKind } from "../service/errors.ts";
import { GROUP } from "./api.ts";

export type StatusReason =
  | "BadRequest"
  | "Unauthorized"
  | "NotFound"
  | "Forbidden"
  | "MethodNotAllowed"
  | "RequestEntityTooLarge"
  | "UnsupportedMediaType"
  | "ServiceUnavailable"
  | "InternalError";

export interface StatusCause {
  readonly reason: string;
  readonly message: string;
  readonly field: string;
}

export interface StatusDetails {
  readonly name?: string;
  readonly group?: string;
  readonly kind?: string;
  readonly causes?: readonly StatusCause[];
  readonly retryAfterSeconds?: number;
}

export interface Status {
  readonly kind: "Status";
  readonly apiVersion: "v1";
  readonly metadata: Record<string, never>;
  readonly status: "Failure";
  readonly message: string;
  readonly reason: StatusReason;
  readonly details?: StatusDetails;
  readonly code: number;
}

export function failure(code: number, reason: StatusReason, message: string, details?: StatusDetails): Status {
  const base = { kind: "Status", apiVersion: "v1", metadata: {}, status: "Failure", message, reason } as const;
  return details ? { ...base, details, code } : { ...base, code };
}

/** What the request was about, for Status.details (as the API server fills it). */
export interface StatusTarget {
  /** REST plural, e.g. "deployments" */
  readonly kind?: string;
  readonly name?: string;
}

function detailsFor(target: StatusTarget | undefined, extra: Partial<StatusDetails> = {}): StatusDetails {
  return {
    ...(target?.name ? { name: target.name } : {}),
    group: GROUP,
    ...(target?.kind ? { kind: target.kind } : {}),
    ...extra,
  };
}

export function notFoundStatus(message: string, target?: StatusTarget): Status {
  return failure(404, "NotFound", message, target ? detailsFor(target) : undefined);
}

export function badRequestStatus(message: string, field?: string, target?: StatusTarget): Status {
  const causes = field ? [{ reason: "FieldValueInvalid", message, field }] : undefined;
  return failure(400, "BadRequest", message, causes || target ? detailsFor(target, causes ? { causes } : {}) : undefined);
}

/** A 4xx that fastify raised before routing, with the reason kube-apiserver would give. */
export function clientErrorStatus(code: number): Status {
  if (code === 413) return failure(413, "RequestEntityTooLarge", "the request is too large");
  if (code === 415) return failure(415, "UnsupportedMediaType", "the request's content type is not supported");
  return badRequestStatus("the request is not valid");
}

const STATUS: Readonly<Record<Exclude<FailureKind, "bad_input" | "not_found" | "unsupported">, { code: number; reason: StatusReason }>> = {
  forbidden: { code: 403, reason: "Forbidden" },
  backend_unavailable: { code: 503, reason: "ServiceUnavailable" },
  unavailable: { code: 503, reason: "ServiceUnavailable" },
  internal: { code: 500, reason: "InternalError" },
};

/** Maps any failure to a Status; what it says is what classifyFailure allows to be said. */
export function statusForError(error: unknown, target?: StatusTarget): Status {
  const f = classifyFailure(error);
  // A feature this deployment lacks (labelSelector without a cluster) is a 400 as the
  // API server answers for an unsupported field selector; 501 has no Status reason clients know.
  if (f.kind === "bad_input" || f.kind === "unsupported") return badRequestStatus(f.message, f.field, target);
  if (f.kind === "not_found") return notFoundStatus(f.message, target);
  const { code, reason } = STATUS[f.kind];
  const retry = code === 503 ? { retryAfterSeconds: 1 } : {};
  return failure(code, reason, f.message, detailsFor(target, retry));
}
