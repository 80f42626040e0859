// GraphQL over WebSocket: the graphql-transport-ws protocol (graphql-ws on a
// `ws` server) on the HTTP server's own port and path, /graphql. The upgrade
// is taken from the server before fastify routes it, so the HTTP routes on
// GET /graphql stay as they are.
//
// A subscription is a query run again at every interval (src/graphql/subscriptions.ts).
// Streams with the same document, variables and user share one run per
// interval (LiveFeeds). Each stream re-asks the access decisions its last
// answer relied on; a FORBIDDEN answer ends it.

import type { IncomingMessage } from "node:http";
import type { Duplex } from "node:stream";
import type { FastifyInstance } from "fastify";
import {
  execute,
  type ExecutionArgs,
  type ExecutionResult,
  type FieldNode,
  type FragmentDefinitionNode,
  getArgumentValues,
  getOperationAST,
  getVariableValues,
  GraphQLError,
  type GraphQLSchema,
  Kind,
  type OperationDefinitionNode,
  parse,
  print,
  type SelectionSetNode,
  validate,
} from "graphql";
import type { SubscribePayload } from "graphql-ws";
// graphql-ws's name for attaching to a ws server; not a React hook, which Biome's hook rules would assume of `use*`.
import { useServer as attachGraphQLWs } from "graphql-ws/use/ws";
import { type WebSocket, WebSocketServer } from "ws";
import { UnauthenticatedError } from "../domain/errors.ts";
import type { GraphQLContext } from "../graphql/context.ts";
import { formatGraphQLError } from "../graphql/errors.ts";
import { EVERY_ARGUMENT } from "../graphql/subscriptions.ts";
import type { IncomingLike } from "../kube/tls.ts";
import { type AccessCheck, ANONYMOUS, type UserInfo } from "../service/access.ts";
import { classifyFailure } from "../service/errors.ts";
import { liveInterval } from "../service/live.ts";
import type { MeshqlService } from "../service/service.ts";
import { LiveFeeds } from "./live-feeds.ts";
import type { GatewayMetrics } from "./metrics.ts";

export interface SubscriptionLimits {
  /** Open WebSocket connections at once; more are refused with 503 at the upgrade. */
  readonly maxConnections: number;
  readonly maxSubscriptionsPerConnection: number;
  /** A connection with more unsent bytes than this when an event is due reads too slowly, and is closed. */
  readonly maxBufferedBytes: number;
  /** How often a stream re-asks the access decisions of its last answer. */
  readonly reauthorizeMs: number;
}

export const DEFAULT_SUBSCRIPTION_LIMITS: SubscriptionLimits = {
  maxConnections: 1000,
  maxSubscriptionsPerConnection: 100,
  maxBufferedBytes: 4 * 1024 * 1024,
  reauthorizeMs: 60_000,
};

export interface SubscriptionDeps {
  readonly schema: GraphQLSchema;
  readonly service: MeshqlService;
  readonly metrics: GatewayMetrics;
  /** Who opened the connection, from the upgrade request's socket and headers merged with connection_init's. */
  readonly authenticate?: (request: IncomingLike) => Promise<UserInfo>;
  readonly limits?: Partial<SubscriptionLimits>;
}

const PATH = "/graphql";
/** Close codes: 1001 going away (shutdown), 1008 policy (slow consumer), 1013 try again later, 4401 unauthenticated. */
const GOING_AWAY = 1001;
const SLOW_CONSUMER = 1008;
const TRY_AGAIN_LATER = 1013;
const UNAUTHENTICATED = 4401;

interface ConnectionExtra extends Record<PropertyKey, unknown> {
  user: UserInfo;
}

/** What onSubscribe worked out for a subscription, read again by the subscribe hook. */
interface LivePlan {
  readonly user: UserInfo;
  readonly socket: WebSocket;
  readonly key: string;
  readonly intervalMs: number;
}

/** Serves subscriptions on app's server; app.close() ends every stream (each gets `complete`), then closes every connection with 1001. */
export function registerSubscriptions(app: FastifyInstance, deps: SubscriptionDeps): void {
  const limits = { ...DEFAULT_SUBSCRIPTION_LIMITS, ...deps.limits };
  const { schema, service, metrics } = deps;
  const authenticate = deps.authenticate ?? (async () => ANONYMOUS);
  const scrapeMs = service.config.scrapeInterval.seconds * 1000;
  const feeds = new LiveFeeds<ExecutionResult>({
    recheckMs: limits.reauthorizeMs,
    // Half an interval after a boundary, the scrapes up to it are stored; the scope still evaluates at the boundary.
    lagMs: scrapeMs / 2,
    onRun: () => metrics.subscriptionRuns.inc(),
  });
  const streams = new Set<Stream>();
  const plans = new WeakMap<ExecutionArgs, LivePlan>();
  const wss = new WebSocketServer({ noServer: true, maxPayload: 1024 * 1024 });

  const onUpgrade = (request: IncomingMessage, socket: Duplex, head: Buffer): void => {
    if (new URL(request.url ?? "/", "http://x").pathname.replace(/\/+$/, "") !== PATH) {
      // Another listener may serve other paths; alone, refuse rather than leave the socket hanging.
      if (app.server.listenerCount("upgrade") === 1) refuse(socket, 404, "Not Found");
      return;
    }
    if (wss.clients.size >= limits.maxConnections) {
      refuse(socket, 503, "Service Unavailable");
      return;
    }
    wss.handleUpgrade(request, socket, head, (ws) => wss.emit("connection", ws, request));
  };
  app.server.on("upgrade", onUpgrade);
  wss.on("connection", (ws) => {
    metrics.webSocketConnections.inc();
    ws.once("close", () => metrics.webSocketConnections.dec());
  });

  const server = attachGraphQLWs<Record<string, unknown>, ConnectionExtra>(
    {
      schema,
      isProd: true,
      onConnect: async (ctx) => {
        try {
          ctx.extra.user = await authenticate(withInitHeaders(ctx.extra.request, ctx.connectionParams));
          return true;
        } catch (e) {
          // Close reasons are limited to 123 bytes.
          if (e instanceof UnauthenticatedError) ctx.extra.socket.close(UNAUTHENTICATED, `Unauthorized: ${e.message}`.slice(0, 120));
          else ctx.extra.socket.close(TRY_AGAIN_LATER, "authentication is unavailable; try again later");
          return false;
        }
      },
      onSubscribe: (ctx, _id, payload) => {
        if (Object.keys(ctx.subscriptions).length > limits.maxSubscriptionsPerConnection) {
          return [
            new GraphQLError(
              `at most ${limits.maxSubscriptionsPerConnection} operations at once on one connection: open another connection`,
              {
                extensions: { code: "TOO_MANY_SUBSCRIPTIONS" },
              },
            ),
          ];
        }
        // graphql-ws accepts no operation before onConnect has let the connection in, and that sets the user.
        const user = ctx.extra.user;
        if (!user) return [new GraphQLError("the connection is not authenticated", { extensions: { code: "UNAUTHENTICATED" } })];
        const prepared = prepare(schema, payload, scrapeMs);
        if (Array.isArray(prepared)) return prepared;
        const args: ExecutionArgs = {
          schema,
          document: prepared.document,
          variableValues: payload.variables,
          operationName: payload.operationName,
        };
        if (prepared.operation.operation !== "subscription") {
          // Queries work over the socket too, once, as over HTTP.
          return { ...args, contextValue: { scope: service.scope(user) } satisfies GraphQLContext };
        }
        const key = JSON.stringify([
          print(prepared.document),
          payload.operationName ?? null,
          canonical(prepared.variables),
          canonical(user),
        ]);
        plans.set(args, { user, socket: ctx.extra.socket, key, intervalMs: prepared.intervalMs });
        return args;
      },
      subscribe: (args) => {
        const plan = plans.get(args);
        if (!plan) throw new Error("subscription without a plan");
        return live(args, plan);
      },
      onNext: (_ctx, _id, _payload, _args, result) => ({
        ...result,
        ...(result.errors ? { errors: result.errors.map((e) => formatGraphQLError(e.toJSON(), e)) } : {}),
      }),
      onError: (_ctx, _id, _payload, errors) => errors.map((e) => formatGraphQLError(e.toJSON(), e)),
    },
    wss,
  );

  /** One subscriber's stream: shares its feed's runs and ends on FORBIDDEN. */
  function live(args: ExecutionArgs, plan: LivePlan): Stream {
    let checks: AccessCheck[] = [];
    let decisions: boolean[] = [];
    const stream = new Stream(() => {
      streams.delete(stream);
      metrics.subscriptions.dec();
      leave();
    });
    streams.add(stream);
    metrics.subscriptions.inc();
    const leave = feeds.subscribe(
      {
        key: plan.key,
        intervalMs: plan.intervalMs,
        run: async () => {
          const asked: AccessCheck[] = [];
          const answers: boolean[] = [];
          const scope = service.scope(plan.user, (c, d) => {
            asked.push(...c);
            answers.push(...d);
          });
          const result = await execute({ ...args, contextValue: { scope } satisfies GraphQLContext });
          [checks, decisions] = [asked, answers];
          return result;
        },
        changed: async () => {
          const now = await service.allowed(plan.user, checks);
          return now.some((d, i) => d !== decisions[i]);
        },
      },
      (result) => {
        if (plan.socket.bufferedAmount > limits.maxBufferedBytes) return dropSlowConsumer(plan.socket);
        if (result.errors?.some((e) => classifyFailure(e.originalError ?? e).kind === "forbidden")) stream.finish(result);
        else stream.push(result);
      },
    );
    return stream;
  }

  function dropSlowConsumer(socket: WebSocket): void {
    if (socket.readyState !== socket.OPEN) return;
    metrics.slowConsumers.inc();
    socket.close(SLOW_CONSUMER, "slow consumer: events were not read in time");
    // A client that does not read will not read the close frame either.
    setTimeout(() => socket.terminate(), 1000).unref();
  }

  const close = async (): Promise<void> => {
    app.server.off("upgrade", onUpgrade);
    for (const stream of [...streams]) stream.finish(null);
    feeds.close();
    // graphql-ws sends each stream's `complete` as it sees the stream end, a few ticks later.
    await new Promise((resolve) => setTimeout(resolve, 20));
    const closed = [...wss.clients].map((ws) => new Promise((resolve) => ws.once("close", resolve)));
    for (const ws of wss.clients) ws.close(GOING_AWAY, "server shutting down");
    await Promise.race([Promise.all(closed), new Promise((resolve) => setTimeout(resolve, 2000).unref())]);
    for (const ws of wss.clients) ws.terminate();
    await server.dispose();
  };
  app.addHook("preClose", close);
}

interface Prepared {
  readonly document: ReturnType<typeof parse>;
  readonly operation: OperationDefinitionNode;
  readonly variables: Record<string, unknown>;
  readonly intervalMs: number;
}

/** Parses, validates and reads `every`; GraphQL errors with a code when anything is wrong. */
function prepare(schema: GraphQLSchema, payload: SubscribePayload, scrapeMs: number): Prepared | GraphQLError[] {
  let document: Prepared["document"];
  try {
    document = parse(payload.query);
  } catch (e) {
    return [coded(e, "GRAPHQL_PARSE_FAILED")];
  }
  const invalid = validate(schema, document);
  if (invalid.length > 0) return invalid.map((e) => coded(e, "GRAPHQL_VALIDATION_FAILED"));
  const operation = getOperationAST(document, payload.operationName);
  if (!operation) return [coded(new GraphQLError("name the operation to run: the document has several"), "BAD_USER_INPUT")];
  const coerced = getVariableValues(schema, operation.variableDefinitions ?? [], payload.variables ?? {});
  if (coerced.errors) return coerced.errors.map((e) => coded(e, "BAD_USER_INPUT"));
  if (operation.operation !== "subscription") return { document, operation, variables: coerced.coerced, intervalMs: 0 };

  const field = rootField(document, operation.selectionSet);
  const definition = field && schema.getSubscriptionType()?.getFields()[field.name.value];
  if (!field || !definition) return [coded(new GraphQLError("a subscription selects one field of Subscription"), "BAD_USER_INPUT")];
  try {
    const every = getArgumentValues(definition, field, coerced.coerced)[EVERY_ARGUMENT];
    const interval = liveInterval(typeof every === "string" ? every : null, { seconds: scrapeMs / 1000 });
    return { document, operation, variables: coerced.coerced, intervalMs: interval.seconds * 1000 };
  } catch (e) {
    const formatted = formatGraphQLError({ message: String(e) }, e);
    return [new GraphQLError(formatted.message, { nodes: [field], extensions: formatted.extensions })];
  }
}

/** The one root field of a subscription, through fragments (validation has checked there is exactly one). */
function rootField(document: Prepared["document"], set: SelectionSetNode): FieldNode | null {
  for (const s of set.selections) {
    if (s.kind === Kind.FIELD) return s.name.value.startsWith("__") ? null : s;
    const inner =
      s.kind === Kind.INLINE_FRAGMENT
        ? s.selectionSet
        : document.definitions.find(
            (d): d is FragmentDefinitionNode => d.kind === Kind.FRAGMENT_DEFINITION && d.name.value === s.name.value,
          )?.selectionSet;
    const found = inner && rootField(document, inner);
    if (found) return found;
  }
  return null;
}

function coded(e: unknown, code: string): GraphQLError {
  const error = e instanceof GraphQLError ? e : new GraphQLError(String(e));
  return new GraphQLError(error.message, {
    nodes: error.nodes,
    source: error.source,
    positions: error.positions,
    extensions: { ...error.extensions, code },
  });
}

/** connection_init's string values as extra request headers: `{ authorization: "Bearer …" }`. They win over the upgrade's. */
function withInitHeaders(request: IncomingMessage, params: Readonly<Record<string, unknown>> | undefined): IncomingLike {
  const extra: Record<string, string[]> = {};
  for (const [name, value] of Object.entries(params ?? {})) {
    const values =
      typeof value === "string" ? [value] : Array.isArray(value) && value.every((v) => typeof v === "string") ? (value as string[]) : null;
    if (values) extra[name.toLowerCase()] = values;
  }
  const headersDistinct = { ...request.headersDistinct, ...extra };
  return { socket: request.socket, headers: headersDistinct, headersDistinct };
}

/** JSON with sorted keys, so equal values give equal keys. */
function canonical(value: unknown): string {
  return JSON.stringify(value, (_k, v: unknown) =>
    v && typeof v === "object" && !Array.isArray(v) && !(v instanceof Date)
      ? Object.fromEntries(Object.entries(v as Record<string, unknown>).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)))
      : v,
  );
}

function refuse(socket: Duplex, status: number, text: string): void {
  socket.end(`HTTP/1.1 ${status} ${text}\r\nConnection: close\r\nContent-Length: 0\r\n\r\n`);
}

/**
 * The async iterator graphql-ws reads one subscription's events from. It holds
 * at most one unsent event: a newer one replaces it, so a reader that falls
 * behind gets the latest state, never a growing queue.
 */
class Stream implements AsyncIterableIterator<ExecutionResult> {
  private pending: ExecutionResult | null = null;
  private waiting: ((r: IteratorResult<ExecutionResult>) => void) | null = null;
  private ending = false;
  private done = false;

  constructor(private readonly onEnd: () => void) {}

  push(value: ExecutionResult): void {
    if (this.ending || this.done) return;
    if (this.waiting) {
      const resolve = this.waiting;
      this.waiting = null;
      resolve({ value, done: false });
    } else {
      this.pending = value;
    }
  }

  /** Ends after `last` (if any) has been read. */
  finish(last: ExecutionResult | null): void {
    if (last) this.push(last);
    this.ending = true;
    if (this.waiting || !this.pending) void this.return();
  }

  next(): Promise<IteratorResult<ExecutionResult>> {
    if (this.pending) {
      const value = this.pending;
      this.pending = null;
      return Promise.resolve({ value, done: false });
    }
    if (this.done || this.ending) return this.return();
    return new Promise((resolve) => (this.waiting = resolve));
  }

  return(): Promise<IteratorResult<ExecutionResult>> {
    if (!this.done) {
      this.done = true;
      this.pending = null;
      this.onEnd();
    }
    const waiting = this.waiting;
    this.waiting = null;
    waiting?.({ value: undefined, done: true });
    return Promise.resolve({ value: undefined, done: true });
  }

  throw(): Promise<IteratorResult<ExecutionResult>> {
    return this.return();
  }

  [Symbol.asyncIterator](): this {
    return this;
  }
}
