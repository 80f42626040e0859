// Typed backend failures. Transports turn them into BACKEND_UNAVAILABLE / 503;
// none of them may crash the server.

export type BackendErrorKind = "unreachable" | "timeout" | "bad_query" | "bad_response";

export class BackendError extends Error {
  override readonly name = "BackendError";
  readonly kind: BackendErrorKind;
  constructor(kind: BackendErrorKind, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.kind = kind;
  }
}
