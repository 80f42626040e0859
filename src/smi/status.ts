// Kubernetes Status objects for every failure of the SMI API, so kubectl and
// client-go show "Error from server (Reason): message" as for any API server.
// Key order follows the Go struct (TypeMeta, metadata, status, message,
// reason, details, code), which is what the API server emits.

import { ForbiddenError, InvalidInputError, NotFoundError, UnavailableError, UnsupportedError } from "../domain/errors.ts";
import { BackendError } from "../prometheus/errors.ts";
import { GROUP } from "./api.ts";

export type StatusReason =
  | "BadRequest"
  | "Unauthorized"
  | "NotFound"
  | "Forbidden"
  | "MethodNotAllowed"
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

/**
 * Maps any failure to a Status. Messages of unexpected errors are replaced:
 * clients get a code, never a stack or an internal detail.
 */
export function statusForError(error: unknown, target?: StatusTarget): Status {
  if (error instanceof InvalidInputError) return badRequestStatus(error.message, error.field, target);
  if (error instanceof NotFoundError) return notFoundStatus(error.message, target);
  if (error instanceof ForbiddenError) return failure(403, "Forbidden", error.message, detailsFor(target));
  // A feature this deployment lacks (labelSelector without a cluster): the
  // request cannot be served as asked, as the API server answers 400 for an
  // unsupported field selector. 501 has no Status reason clients know.
  if (error instanceof UnsupportedError) {
    return failure(400, "BadRequest", error.message, detailsFor(target));
  }
  // The backend's own message may name its address or echo a query: only the kind is said.
  if (error instanceof BackendError) {
    return failure(503, "ServiceUnavailable", `the metrics backend is unavailable (${error.kind}); try again later`, detailsFor(target, { retryAfterSeconds: 1 }));
  }
  if (error instanceof UnavailableError) return failure(503, "ServiceUnavailable", error.message, detailsFor(target, { retryAfterSeconds: 1 }));
  return failure(500, "InternalError", "an internal error occurred", detailsFor(target));
}
