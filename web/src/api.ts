// The console's only way to the data: the gateway's public GraphQL API, over
// HTTP for queries and over WebSocket (graphql-ws) for the live graph.

import { createClient } from "graphql-ws/client";
import { buildGraph, type Graph, type GraphAnswer, type GraphNode } from "./graph.ts";
import type { Selection } from "./graph-view.ts";
import { EDGE_SERIES_QUERY, GRAPH_QUERY, GRAPH_SUBSCRIPTION, NAMESPACES_QUERY, NODE_SERIES_QUERY } from "./queries.ts";

export class ApiError extends Error {
  constructor(
    message: string,
    readonly code: string | null,
  ) {
    super(message);
  }
}

interface GraphQLBody<T> {
  data?: T | null;
  errors?: ReadonlyArray<{ message: string; extensions?: { code?: unknown } }>;
}

/** Where /graphql is, relative to the page, so that a path prefix (a proxy) is kept. */
function endpoint(protocol: "http" | "ws" = "http"): string {
  const url = new URL("graphql", document.baseURI);
  if (protocol === "ws") url.protocol = url.protocol === "https:" ? "wss:" : "ws:";
  return url.href;
}

/** The data of an answer, or its first error as an ApiError. */
function dataOf<T>(body: GraphQLBody<T>, what: string): T {
  const first = body.errors?.[0];
  if (first) throw new ApiError(first.message, typeof first.extensions?.code === "string" ? first.extensions.code : null);
  if (body.data == null) throw new ApiError(`${what} without data`, null);
  return body.data;
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
  let body: GraphQLBody<T>;
  try {
    body = (await response.json()) as GraphQLBody<T>;
  } catch {
    throw new ApiError(`the gateway answered HTTP ${response.status} without GraphQL`, null);
  }
  return dataOf(body, `the gateway answered HTTP ${response.status}`);
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

/** The workload graph of the namespaces, in one `graph` query. */
export async function fetchGraph(q: GraphQuery): Promise<Graph> {
  const data = await graphql<{ graph: GraphAnswer }>(GRAPH_QUERY, { namespaces: q.namespaces, window: q.window, at: q.at });
  return buildGraph(data.graph);
}

export interface LiveHandlers {
  /** Each event's graph; `raw` is the event's JSON, so that an unchanged graph need not be drawn again. */
  next(graph: Graph, raw: string): void;
  /** An event with errors: the stream goes on unless the server ends it. */
  error(e: ApiError): void;
  /** The socket failed or the server ended the stream: the caller falls back to polling. */
  ended(reason: string): void;
}

/** The `graph` subscription (latest scrape boundary, every scrape interval); call the result to stop. */
export function subscribeGraph(q: Omit<GraphQuery, "at">, handlers: LiveHandlers): () => void {
  let stopped = false;
  // No retries: when the socket fails, polling takes over (a proxy that refuses WebSocket is common).
  const client = createClient({ url: endpoint("ws"), retryAttempts: 0, lazy: true });
  const unsubscribe = client.subscribe<{ graph: GraphAnswer }>(
    { query: GRAPH_SUBSCRIPTION, variables: { namespaces: q.namespaces, window: q.window } },
    {
      next: (event) => {
        if (stopped) return;
        try {
          handlers.next(buildGraph(dataOf(event, "the live graph came").graph), JSON.stringify(event.data));
        } catch (e) {
          handlers.error(e instanceof ApiError ? e : new ApiError(String(e), null));
        }
      },
      error: (e) => {
        if (stopped) return;
        const closed = e as { code?: unknown; reason?: unknown };
        const reason = typeof closed.code === "number" ? `the live connection closed (${closed.code}${closed.reason ? `: ${String(closed.reason)}` : ""})` : `the live connection failed (${errorText(e)})`;
        handlers.ended(reason);
      },
      complete: () => {
        if (!stopped) handlers.ended("the gateway ended the live stream");
      },
    },
  );
  return () => {
    stopped = true;
    unsubscribe();
    void client.dispose();
  };
}

function errorText(e: unknown): string {
  if (e instanceof Error) return e.message;
  if (Array.isArray(e)) return e.map((x: { message?: string }) => x.message ?? String(x)).join("; ");
  return e instanceof Event ? e.type : String(e);
}

/** One point of a sparkline, as the series queries select it. */
export interface SeriesPoint {
  readonly timestamp: string;
  readonly requestsPerSecond: number;
  readonly successRate: number | null;
  readonly latency: { readonly p99: number | null };
}

export type Series = { readonly available: false; readonly reason: string } | { readonly available: true; readonly points: readonly SeriesPoint[] };

/**
 * The last hour of what was selected, from the API's `series`: a workload's
 * own series, or its edge's from the graph of the namespaces of the edge's
 * ends. UNKNOWN and HIDDEN nodes receive nothing worth a line; their edges do.
 */
export async function fetchSeries(graph: Graph, selection: NonNullable<Selection>, q: GraphQuery): Promise<Series> {
  const nodes = new Map(graph.nodes.map((n) => [n.id, n]));
  let points: readonly SeriesPoint[] | null;
  if (selection.kind === "node") {
    const node = nodes.get(selection.id);
    if (!node?.resource) return { available: false, reason: "no series of its own: it stands for callers that are not named; its edges have theirs" };
    const { kind, namespace, name } = node.resource;
    const data = await graphql<{ resource: { series: SeriesPoint[] | null } | null }>(NODE_SERIES_QUERY, { kind, namespace, name, at: q.at });
    if (!data.resource) return { available: false, reason: "the gateway no longer knows this workload" };
    points = data.resource.series;
  } else {
    const edge = graph.edges.find((e) => e.id === selection.id);
    if (!edge) return { available: false, reason: "the edge is gone from the graph" };
    const namespaces = [edge.source, edge.destination].map((id) => askedNamespace(nodes.get(id))).filter((ns): ns is string => ns !== null);
    type Answer = { graph: { edges: Array<{ source: { id: string }; destination: { id: string }; series: SeriesPoint[] | null }> } };
    const data = await graphql<Answer>(EDGE_SERIES_QUERY, { namespaces: [...new Set(namespaces)], window: q.window, at: q.at });
    const found = data.graph.edges.find((e) => e.source.id === edge.source && e.destination.id === edge.destination);
    if (!found) return { available: false, reason: "the edge has no traffic in the graph any more" };
    points = found.series;
  }
  if (points === null) return { available: false, reason: "the backend did not answer the series" };
  if (points.length === 0) return { available: false, reason: "the backend holds no data for the last hour" };
  return { available: true, points };
}

/** The namespace of a node that was asked for (an edge has at least one such end). */
function askedNamespace(node: GraphNode | undefined): string | null {
  return node?.resource && !node.outside ? node.resource.namespace : null;
}
