// The console's only way to the data: the gateway's public GraphQL API, over
// HTTP for queries and over WebSocket (graphql-ws) for the live graph.

import { createClient } from "graphql-ws/client";
import { type Answer, ApiError, answerOf, type GraphQLBody, graphOf, refusal } from "./answers.ts";
import type { Graph, GraphAnswer, GraphEdge, GraphNode, ResourceId } from "./graph.ts";
import type { Selection } from "./graph-view.ts";
import {
  EDGE_SERIES_QUERY,
  GRAPH_EDGE_SERIES_QUERY,
  GRAPH_QUERY,
  GRAPH_SUBSCRIPTION,
  NAMESPACES_QUERY,
  NODE_SERIES_QUERY,
} from "./queries.ts";

/** Where /graphql is, relative to the page, so that a path prefix (a proxy) is kept. */
function endpoint(protocol: "http" | "ws" = "http"): string {
  const url = new URL("graphql", document.baseURI);
  if (protocol === "ws") url.protocol = url.protocol === "https:" ? "wss:" : "ws:";
  return url.href;
}

/** The data of a query that must have no errors: the first one is thrown. */
async function graphql<T>(query: string, variables: Record<string, unknown> = {}): Promise<T> {
  const { data, errors } = await post<T>(query, variables);
  if (errors[0]) throw errors[0];
  return data;
}

async function post<T>(query: string, variables: Record<string, unknown>): Promise<Answer<T>> {
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
  return answerOf(body, `the gateway answered HTTP ${response.status}`);
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

/** The workload graph of the namespaces, in one `graph` query: partial (null metrics) where the backend failed, with those errors. */
export async function fetchGraph(q: GraphQuery): Promise<Answer<Graph>> {
  return graphOf(await post<{ graph: GraphAnswer | null }>(GRAPH_QUERY, { namespaces: q.namespaces, window: q.window, at: q.at }));
}

export interface LiveHandlers {
  /** Each event's graph and errors; `raw` is the event's JSON, so that an unchanged event need not be drawn again. */
  next(graph: Answer<Graph>, raw: string): void;
  /** An event without a graph, or the server's refusal of the subscription (bad input): the socket stays usable. */
  error(e: ApiError): void;
  /** The socket failed (a CloseEvent or an Error): the caller falls back to polling. */
  failed(reason: string): void;
  /** The gateway ended this stream (after a FORBIDDEN event): the socket is fine, a changed view may subscribe again. */
  finished(): void;
}

/** The `graph` subscription (latest scrape boundary, every scrape interval); call the result to stop. */
export function subscribeGraph(q: Omit<GraphQuery, "at">, handlers: LiveHandlers): () => void {
  let stopped = false;
  // No retries: when the socket fails, polling takes over (a proxy that refuses WebSocket is common).
  const client = createClient({ url: endpoint("ws"), retryAttempts: 0, lazy: true });
  const unsubscribe = client.subscribe<{ graph: GraphAnswer | null }>(
    { query: GRAPH_SUBSCRIPTION, variables: { namespaces: q.namespaces, window: q.window } },
    {
      next: (event) => {
        if (stopped) return;
        try {
          handlers.next(graphOf(answerOf(event, "the live graph came")), JSON.stringify(event));
        } catch (e) {
          handlers.error(e instanceof ApiError ? e : new ApiError(String(e), null));
        }
      },
      error: (e) => {
        if (stopped) return;
        const refused = refusal(e);
        if (refused) handlers.error(refused);
        else handlers.failed(socketFailure(e));
      },
      complete: () => {
        if (!stopped) handlers.finished();
      },
    },
  );
  return () => {
    stopped = true;
    unsubscribe();
    void client.dispose();
  };
}

function socketFailure(e: unknown): string {
  const closed = e as { code?: unknown; reason?: unknown };
  if (typeof closed.code === "number")
    return `the live connection closed (${closed.code}${closed.reason ? `: ${String(closed.reason)}` : ""})`;
  return `the live connection failed (${e instanceof Error ? e.message : e instanceof Event ? e.type : String(e)})`;
}

/** One point of a sparkline, as the series queries select it. */
export interface SeriesPoint {
  readonly timestamp: string;
  readonly requestsPerSecond: number;
  readonly successRate: number | null;
  readonly latency: { readonly p99: number | null };
}

export type Series =
  | { readonly available: false; readonly reason: string }
  | { readonly available: true; readonly points: readonly SeriesPoint[] };

/**
 * The last hour of what was selected, from the API's `series`: a workload's
 * own series, or its edge's (see edgeSeries). UNKNOWN and HIDDEN nodes receive
 * nothing worth a line; their edges do.
 */
export async function fetchSeries(graph: Graph, selection: NonNullable<Selection>, q: GraphQuery): Promise<Series> {
  const nodes = new Map(graph.nodes.map((n) => [n.id, n]));
  let points: readonly SeriesPoint[] | null;
  if (selection.kind === "node") {
    const node = nodes.get(selection.id);
    if (!node?.resource)
      return { available: false, reason: "no series of its own: it stands for callers that are not named; its edges have theirs" };
    const { kind, namespace, name } = node.resource;
    const data = await graphql<{ resource: { series: SeriesPoint[] | null } | null }>(NODE_SERIES_QUERY, {
      kind,
      namespace,
      name,
      at: q.at,
    });
    if (!data.resource) return { available: false, reason: "the gateway no longer knows this workload" };
    points = data.resource.series;
  } else {
    const edge = graph.edges.find((e) => e.id === selection.id);
    if (!edge) return { available: false, reason: "the edge is gone from the graph" };
    const found = await edgeSeries(edge, nodes, q);
    if (found === undefined) return { available: false, reason: "the edge has no traffic in the graph any more" };
    points = found;
  }
  if (points === null) return { available: false, reason: "the backend did not answer the series" };
  if (points.length === 0) return { available: false, reason: "the backend holds no data for the last hour" };
  return { available: true, points };
}

/**
 * An edge's last hour; undefined when the edge is gone. Between two named
 * workloads: from the `edges` of the end in an asked namespace, narrowed to the
 * direction and the other end's kind, so the gateway computes this one
 * resource's edges. An edge with an UNKNOWN or HIDDEN end exists only in the
 * graph (so does one the end's edges leave out): from the graph of the
 * namespaces of its ends, whose steps the gateway builds once for all of its edges.
 */
async function edgeSeries(
  edge: GraphEdge,
  nodes: ReadonlyMap<string, GraphNode>,
  q: GraphQuery,
): Promise<readonly SeriesPoint[] | null | undefined> {
  const source = nodes.get(edge.source);
  const destination = nodes.get(edge.destination);
  if (source?.resource && destination?.resource) {
    const [end, peer, direction] = source.outside
      ? [destination.resource, source.resource, "FROM"]
      : [source.resource, destination.resource, "TO"];
    type Answer = { resource: { edges: Array<{ peer: ResourceId; series: SeriesPoint[] | null }> | null } | null };
    const { kind, namespace, name } = end;
    const data = await graphql<Answer>(EDGE_SERIES_QUERY, {
      kind,
      namespace,
      name,
      direction,
      peerKinds: [peer.kind],
      window: q.window,
      at: q.at,
    });
    const found = data.resource?.edges?.find(
      (e) => e.peer.kind === peer.kind && e.peer.namespace === peer.namespace && e.peer.name === peer.name,
    );
    if (found) return found.series;
    // Not among the end's edges: a peer the user may list but not get is named in the graph only.
  }
  const namespaces = [source, destination].flatMap((n) => (n?.resource && !n.outside ? [n.resource.namespace] : []));
  type Answer = { graph: { edges: Array<{ source: { id: string }; destination: { id: string }; series: SeriesPoint[] | null }> } };
  const data = await graphql<Answer>(GRAPH_EDGE_SERIES_QUERY, { namespaces: [...new Set(namespaces)], window: q.window, at: q.at });
  return data.graph.edges.find((e) => e.source.id === edge.source && e.destination.id === edge.destination)?.series;
}
