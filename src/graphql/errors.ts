// GraphQL errors with a stable extensions.code. Messages of unexpected errors
// are hidden: clients get a code, operators get the log.

import type { ApolloServerPlugin } from "@apollo/server";
import type { GraphQLFormattedError } from "graphql";
import { unwrapResolverError } from "@apollo/server/errors";
import { classifyFailure, type Failure, type FailureKind } from "../service/errors.ts";
import type { GraphQLContext, MaskedErrorLog } from "./context.ts";

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

/** How an error is shown; null: Apollo raised it itself (parse, validation, bad variables) and already says what is wrong. */
function failureOf(error: unknown, apolloCode: unknown): Failure | null {
  const failure = classifyFailure(unwrapResolverError(error));
  if (failure.kind === "internal" && typeof apolloCode === "string" && apolloCode !== "INTERNAL_SERVER_ERROR") return null;
  return failure;
}

export function formatGraphQLError(formatted: GraphQLFormattedError, error: unknown): GraphQLFormattedError {
  const failure = failureOf(error, formatted.extensions?.code);
  if (!failure) return formatted;
  const extensions: Record<string, string> = { code: CODES[failure.kind] };
  if (failure.field) extensions.argument = failure.field;
  if (failure.backendError) extensions.backendError = failure.backendError;
  return { message: failure.message, locations: formatted.locations, path: formatted.path, extensions };
}

/**
 * Writes every error formatGraphQLError masks, with its stack, to the request's
 * log: the client only sees INTERNAL_SERVER_ERROR. (formatError has no request
 * context, hence a plugin, which has.)
 */
export function logMaskedErrors(fallback: MaskedErrorLog): ApolloServerPlugin<GraphQLContext> {
  return {
    async requestDidStart() {
      return {
        async didEncounterErrors({ errors, contextValue }) {
          for (const error of errors) {
            if (failureOf(error, error.extensions?.code)?.kind !== "internal") continue;
            (contextValue?.log ?? fallback).error(
              { err: unwrapResolverError(error), path: error.path?.join(".") },
              "internal error, masked in the GraphQL answer",
            );
          }
        },
      };
    },
  };
}
