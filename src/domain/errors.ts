// Errors that user input can cause. Transports map them to their own shapes
// (GraphQL extensions.code, Kubernetes Status); nothing below knows those shapes.

export class InvalidInputError extends Error {
  override readonly name = "InvalidInputError";
  /** The argument or parameter at fault, e.g. "window" or "name". */
  readonly field: string;
  constructor(field: string, message: string) {
    super(message);
    this.field = field;
  }
}

/** A resource that the inventory does not know. */
export class NotFoundError extends Error {
  override readonly name = "NotFoundError";
}

/** A feature that needs something this deployment lacks (e.g. a cluster connection). */
export class UnsupportedError extends Error {
  override readonly name = "UnsupportedError";
  /** The argument or parameter that asked for it, when one did. */
  readonly field: string | undefined;
  constructor(message: string, field?: string) {
    super(message);
    this.field = field;
  }
}

/** The caller may not see what it asked for. */
export class ForbiddenError extends Error {
  override readonly name = "ForbiddenError";
}

/** Something meshql depends on (other than the metrics backend) cannot answer now. */
export class UnavailableError extends Error {
  override readonly name: string = "UnavailableError";
}

/** The request did not prove who sent it, or proved it wrongly. */
export class UnauthenticatedError extends Error {
  override readonly name: string = "UnauthenticatedError";
}
