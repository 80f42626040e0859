// Maps failures to GraphQL errors with a stable extensions.code. Messages of
// unexpected errors are hidden: clients get a code, operators get the log.

import type { GraphQLFormattedError } from "graphql";
import { unwrapResolverError } from "@apollo/server/errors";
import { ForbiddenError, InvalidInputError, NotFoundError, UnavailableError, UnsupportedError } from "../domain/errors.ts";
import { BackendError } from "../prometheus/errors.ts";

export type ErrorCode =
  | "BAD_USER_INPUT"
  | "NOT_FOUND"
  | "FORBIDDEN"
  | "UNSUPPORTED"
  | "BACKEND_UNAVAILABLE"
  | "SERVICE_UNAVAILABLE"
  | "INTERNAL_SERVER_ERROR";

export interface ClassifiedError {
  readonly code: ErrorCode;
  readonly message: string;
  readonly extensions: Readonly<Record<string, string>>;
}

/** Shared by every transport: what kind of failure this is, and what may be said about it. */
export function classifyError(error: unknown): ClassifiedError | null {
  if (error instanceof InvalidInputError) return { code: "BAD_USER_INPUT", message: error.message, extensions: { argument: error.field } };
  if (error instanceof NotFoundError) return { code: "NOT_FOUND", message: error.message, extensions: {} };
  if (error instanceof ForbiddenError) return { code: "FORBIDDEN", message: error.message, extensions: {} };
  if (error instanceof UnsupportedError) return { code: "UNSUPPORTED", message: error.message, extensions: {} };
  // The backend's own message may name its address or echo a query: only the kind is said.
  if (error instanceof BackendError) {
    return { code: "BACKEND_UNAVAILABLE", message: `the metrics backend is unavailable (${error.kind}); try again later`, extensions: { backendError: error.kind } };
  }
  if (error instanceof UnavailableError) return { code: "SERVICE_UNAVAILABLE", message: error.message, extensions: {} };
  return null;
}

export function formatGraphQLError(formatted: GraphQLFormattedError, error: unknown): GraphQLFormattedError {
  const known = classifyError(unwrapResolverError(error));
  if (known) {
    return { ...formatted, message: known.message, extensions: { ...known.extensions, code: known.code } };
  }
  const code = formatted.extensions?.code;
  // Errors Apollo raised itself (parse, validation, bad variables) already say what is wrong.
  if (typeof code === "string" && code !== "INTERNAL_SERVER_ERROR") return formatted;
  return { message: "internal error", locations: formatted.locations, path: formatted.path, extensions: { code: "INTERNAL_SERVER_ERROR" } };
}
