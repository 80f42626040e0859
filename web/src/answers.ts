// What the gateway's GraphQL answers mean to the console: data that may be
// partial, errors with their codes, and a refused subscription told apart from
// a failed socket. No DOM here, so that tests run it in Node.

import { buildGraph, type Graph, type GraphAnswer } from "./graph.ts";

export class ApiError extends Error {
  constructor(
    message: string,
    readonly code: string | null,
  ) {
    super(message);
  }
}

interface GraphQLError {
  message: string;
  extensions?: { code?: unknown };
}

export interface GraphQLBody<T> {
  data?: T | null;
  errors?: readonly GraphQLError[];
}

const apiError = (e: GraphQLError): ApiError => new ApiError(e.message, typeof e.extensions?.code === "string" ? e.extensions.code : null);

/** Data with the errors that came with it: a field the backend failed is null in the data, its error listed here. */
export interface Answer<T> {
  readonly data: T;
  readonly errors: readonly ApiError[];
}

/** Several errors as one, for a status line: their messages, the first one's code. */
export function oneError(errors: readonly ApiError[]): ApiError {
  return new ApiError([...new Set(errors.map((e) => e.message))].join("; "), errors[0]?.code ?? null);
}

/** An answer's data, partial or not, with its errors; an answer without data throws its errors. */
export function answerOf<T>(body: GraphQLBody<T>, what: string): Answer<T> {
  const errors = (body.errors ?? []).map(apiError);
  if (body.data == null) throw errors.length > 0 ? oneError(errors) : new ApiError(`${what} without data`, null);
  return { data: body.data, errors };
}

/** The graph of an answer, with the answer's errors; without a graph, the errors are thrown. */
export function graphOf(answer: Answer<{ graph: GraphAnswer | null }>): Answer<Graph> {
  const { data, errors } = answer;
  if (!data.graph) throw errors.length > 0 ? oneError(errors) : new ApiError("the answer holds no graph", null);
  return { data: buildGraph(data.graph), errors };
}

/**
 * graphql-ws ends an operation the server refused (bad input, no access) with
 * the array of its GraphQL errors; only a CloseEvent or an Error means that the
 * socket failed. The refusal as one ApiError, or null for a failed socket.
 */
export function refusal(e: unknown): ApiError | null {
  return Array.isArray(e) && e.length > 0 ? oneError((e as GraphQLError[]).map(apiError)) : null;
}
