// What kind of failure an error is, and what may be said about it to a client.
// Every transport maps these kinds to its own shape (GraphQL code, HTTP Status).

import { ForbiddenError, InvalidInputError, NotFoundError, UnavailableError, UnsupportedError } from "../domain/errors.ts";
import { BackendError, type BackendErrorKind } from "../prometheus/errors.ts";

export type FailureKind =
  | "bad_input"
  | "not_found"
  | "forbidden"
  | "unsupported"
  | "backend_unavailable"
  | "backend_misconfigured"
  | "unavailable"
  | "internal";

export interface Failure {
  readonly kind: FailureKind;
  /** Safe to show: unexpected errors and backend details are never passed through. */
  readonly message: string;
  /** The argument or parameter at fault, for bad_input (and unsupported, when one asked for it). */
  readonly field?: string;
  readonly backendError?: BackendErrorKind;
}

export function classifyFailure(error: unknown): Failure {
  if (error instanceof InvalidInputError) return { kind: "bad_input", message: error.message, field: error.field };
  if (error instanceof NotFoundError) return { kind: "not_found", message: error.message };
  if (error instanceof ForbiddenError) return { kind: "forbidden", message: error.message };
  if (error instanceof UnsupportedError)
    return { kind: "unsupported", message: error.message, ...(error.field ? { field: error.field } : {}) };
  // Retrying will not mend a wrong URL or credentials: say which URL (never its credentials) and what it answered.
  if (error instanceof BackendError && error.kind === "misconfigured") {
    return {
      kind: "backend_misconfigured",
      message: `${error.message}; the server's configuration needs fixing`,
      backendError: error.kind,
    };
  }
  // The backend's own message may name its address or echo a query: only the kind is said.
  if (error instanceof BackendError) {
    return {
      kind: "backend_unavailable",
      message: `the metrics backend is unavailable (${error.kind}); try again later`,
      backendError: error.kind,
    };
  }
  if (error instanceof UnavailableError) return { kind: "unavailable", message: error.message };
  return { kind: "internal", message: "an internal error occurred" };
}
