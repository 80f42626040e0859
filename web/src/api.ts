// The console's only way to the data: the gateway's public GraphQL API.
// fetchGraph answers in the shape of issue 9's `graph` query (nodes with
// type WORKLOAD / UNKNOWN / HIDDEN, edges with mtls and metrics). It is still
// assembled from `resources { metrics edges }`; moving it to the `graph` query
// is this one function. fetchSeries does not read `series` yet, and says so.

import { buildGraph, type Graph, type Metrics, type ResourceAnswer } from "./graph.ts";
import { NAMESPACE_GRAPH_QUERY, NAMESPACES_QUERY } from "./queries.ts";

export class ApiError extends Error {
  constructor(
    message: string,
    readonly code: string | null,
  ) {
    super(message);
  }
}

/** Where /graphql is, relative to the page, so that a path prefix (a proxy) is kept. */
function endpoint(): string {
  return new URL("graphql", document.baseURI).href;
}

export async function graphql<T>(query: string, variables: Record<string, unknown> = {}): Promise<T> {
  let response: Response;
  try {
    response = await fetch(endpoint(), {
      method: "POST",
      headers: { "content-type": "application/json", accept: "application/json" },
      body: JSON.stringify({ query, variables }),
      credentials: "same-origin",
    });
  } catch (e) {
    throw new ApiError(`the gateway did not answer (${e instanceof Error ? e.message : String(e)})`, null);
  }
  let body: { data?: T | null; errors?: Array<{ message: string; extensions?: { code?: string } }> };
  try {
    body = (await response.json()) as typeof body;
  } catch {
    throw new ApiError(`the gateway answered HTTP ${response.status} without GraphQL`, null);
  }
  const first = body.errors?.[0];
  if (first) throw new ApiError(first.message, first.extensions?.code ?? null);
  if (body.data == null) throw new ApiError(`the gateway answered HTTP ${response.status} without data`, null);
  return body.data;
}

export async function fetchNamespaces(): Promise<string[]> {
  const data = await graphql<{ resources: Array<{ name: string }> }>(NAMESPACES_QUERY);
  return data.resources.map((r) => r.name).sort();
}

export interface GraphQuery {
  readonly namespaces: readonly string[];
  readonly window: string;
  /** ISO time, or null for now. */
  readonly at: string | null;
}

/** The workload graph of the namespaces: the one function to point at `graph(namespaces, window, at)`. */
export async function fetchGraph(q: GraphQuery): Promise<Graph> {
  const answers = await Promise.all(
    q.namespaces.map((namespace) => graphql<Record<string, ResourceAnswer[] | null>>(NAMESPACE_GRAPH_QUERY, { namespace, window: q.window, at: q.at })),
  );
  return buildGraph(
    answers.flatMap((a) => Object.values(a).flatMap((list) => list ?? [])),
    q,
  );
}

export type Series = { readonly available: false; readonly reason: string } | { readonly available: true; readonly points: readonly Metrics[] };

/** The last hour of a node's metrics: the console does not read the API's `series` yet, and says so. */
export async function fetchSeries(): Promise<Series> {
  return { available: false, reason: "no time series: the console does not draw the API's series yet" };
}
