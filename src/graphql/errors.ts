// GraphQL errors with a stable extensions.code. Messages of unexpected errors
// are hidden: clients get a code, operators get the log.

import type { GraphQLFormattedError } from "graphql";
import { unwrapResolverError } from "@apollo/server/errors";
import { classifyFailure, type FailureKind } from "../service/errors.ts";

const CODES: Readonly<Record<FailureKind, string>> = {
  bad_input: "BAD_USER_INPUT",
  not_found: "NOT_FOUND",
  forbidden: "FORBIDDEN",
  unsupported: "UNSUPPORTED",
  backend_unavailable: "BACKEND_UNAVAILABLE",
  backend_misconfigured: "BACKEND_MISCONFIGURED",
  unavailable: "SERVICE_UNAVAILABLE",
  internal: "INTERNAL_SERVER_ERROR",
};

export function formatGraphQLError(formatted: GraphQLFormattedError, error: unknown): GraphQLFormattedError {
  const failure = classifyFailure(unwrapResolverError(error));
  const apolloCode = formatted.extensions?.code;
  // Errors Apollo raised itself (parse, validation, bad variables) already say what is wrong.
  if (failure.kind === "internal" && typeof apolloCode === "string" && apolloCode !== "INTERNAL_SERVER_ERROR") return formatted;
  const extensions: Record<string, string> = { code: CODES[failure.kind] };
  if (failure.field) extensions.argument = failure.field;
  if (failure.backendError) extensions.backendError = failure.backendError;
  return { message: failure.message, locations: formatted.locations, path: formatted.path, extensions };
}
