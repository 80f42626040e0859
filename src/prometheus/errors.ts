// Typed backend failures. Transports turn outages into BACKEND_UNAVAILABLE / 503
// and `misconfigured` into BACKEND_MISCONFIGURED / 500; none may crash the server.

/**
 * `misconfigured`: the backend answered, but not as a Prometheus API would
 * (401/403/404, or not a Prometheus envelope): retrying will not help.
 */
export type BackendErrorKind = "unreachable" | "timeout" | "bad_query" | "bad_response" | "misconfigured";

export class BackendError extends Error {
  override readonly name = "BackendError";
  readonly kind: BackendErrorKind;
  constructor(kind: BackendErrorKind, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.kind = kind;
  }
}
