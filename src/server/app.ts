// HTTP composition: one fastify app serving /graphql, the SMI REST API,
// health probes and the gateway's own /metrics.

import { ApolloServer, type ApolloServerPlugin } from "@apollo/server";
import { ApolloServerPluginCacheControlDisabled, ApolloServerPluginLandingPageDisabled } from "@apollo/server/plugin/disabled";
import fastifyApollo, { fastifyApolloDrainPlugin } from "@as-integrations/fastify";
import { randomUUID } from "node:crypto";
import type { ServerOptions as HttpsOptions } from "node:https";
import Fastify, { LogController, type FastifyInstance, type FastifyReply, type FastifyRequest } from "fastify";
import type { GraphQLContext } from "../graphql/context.ts";
import { DEFAULT_DOCUMENT_LIMITS, documentLimitsPlugin, type DocumentLimits } from "../graphql/cost.ts";
import { formatGraphQLError, logMaskedErrors } from "../graphql/errors.ts";
import { buildMeshqlSchema } from "../graphql/schema.ts";
import { type AnswerSharing, registerSharedExecution } from "../graphql/shared-execution.ts";
import { ANONYMOUS, type UserInfo } from "../service/access.ts";
import type { MeshqlService } from "../service/service.ts";
import { UnauthenticatedError } from "../domain/errors.ts";
import { registerSmi, smiFrameworkErrors } from "../smi/index.ts";
import { failure } from "../smi/status.ts";
import { isConsoleShell, registerConsole } from "./console.ts";
import { type AdmissionOptions, registerAdmission } from "./admission.ts";
import { registerHealth, type ReadinessCheck } from "./health.ts";
import { applyServerLimits, DEFAULT_SERVER_LIMITS, fastifyLimitOptions, nodeServerLimitOptions, type ServerLimits } from "./limits.ts";
import { SILENT_LOGGER, type Logger } from "./log.ts";
import type { GatewayMetrics } from "./metrics.ts";
import { registerSubscriptions, type SubscriptionDeps } from "./subscriptions.ts";

export interface AppOptions {
  readonly service: MeshqlService;
  readonly metrics: GatewayMetrics;
  readonly readiness: readonly ReadinessCheck[];
  /** Who sent the request; throws to refuse it. Default: everyone is anonymous (the demo). */
  readonly authenticate?: (request: FastifyRequest) => Promise<UserInfo>;
  /** Identical GraphQL documents share one execution and, within its TTL, one answer. Absent: each runs alone. */
  readonly sharing?: AnswerSharing;
  /** A limit on documents executing at once, refused with 503 past it. Absent: no limit. */
  readonly admission?: AdmissionOptions;
  /** HTTPS serving options (certificate, key, client certificate requests); absent: plain HTTP. */
  readonly https?: HttpsOptions;
  /** Depth and cost limits of GraphQL documents (default DEFAULT_DOCUMENT_LIMITS). */
  readonly documentLimits?: DocumentLimits;
  /** Request timeouts, header and body size, connections (default DEFAULT_SERVER_LIMITS). */
  readonly serverLimits?: ServerLimits;
  /** fastify's logger: one line per request, and errors the clients only see masked. Default: silent. */
  readonly logger?: Logger;
  /** Serve the GraphQL IDE to browsers at GET /graphql (default true). */
  readonly graphqlIde?: boolean;
  /** GraphQL subscriptions over WebSocket on /graphql: authentication and limits. */
  readonly subscriptions?: Pick<SubscriptionDeps, "authenticate" | "limits">;
}

declare module "fastify" {
  interface FastifyRequest {
    /** Set by the authentication hook; null on probes, which need no user. */
    meshqlUser: UserInfo | null;
  }
}

export async function buildApp(options: AppOptions): Promise<FastifyInstance> {
  // One instance type for both: routes and hooks do not care which transport carries them.
  const limits = options.serverLimits ?? DEFAULT_SERVER_LIMITS;
  // frameworkErrors: a path fastify cannot decode still answers a Status under /apis.
  const common = {
    loggerInstance: options.logger ?? SILENT_LOGGER,
    logController: new OneLinePerRequest(),
    genReqId: () => randomUUID(),
    frameworkErrors: smiFrameworkErrors,
    ...fastifyLimitOptions(limits),
  };
  const app = (options.https
    ? Fastify({ ...common, https: { ...nodeServerLimitOptions(limits), ...options.https } })
    : Fastify({ ...common, http: nodeServerLimitOptions(limits) })) as unknown as FastifyInstance;
  applyServerLimits(app, limits);
  const authenticate = options.authenticate ?? (async () => ANONYMOUS);

  app.decorateRequest("meshqlUser", null);
  app.addHook("onRequest", async (request, reply) => {
    if (isPublic(request.url) || isConsoleShell(request)) return;
    try {
      request.meshqlUser = await authenticate(request);
    } catch (e) {
      if (!(e instanceof UnauthenticatedError)) throw e;
      return reply.code(401).type("application/json").send(unauthorizedBody(request.url, e.message));
    }
  });
  app.addHook("onResponse", async (request, reply) => {
    const route = request.routeOptions.url ?? "unmatched";
    options.metrics.httpRequests.observe({ route, method: request.method, code: String(reply.statusCode) }, reply.elapsedTime / 1000);
  });

  if (options.sharing) {
    registerSharedExecution(app, {
      path: "/graphql",
      sharing: options.sharing,
      moment: () => options.service.moment().getTime(),
      user: (request) => request.meshqlUser ?? ANONYMOUS,
      observe: (execution) => options.metrics.graphqlDocuments.inc({ execution }),
    });
  }
  if (options.admission) registerAdmission(app, options.admission);
  registerHealth(app, options.readiness);
  await registerConsole(app, { graphqlIde: options.graphqlIde ?? true });
  registerSmi(app, {
    scopeFor: (request) => options.service.scope(request.meshqlUser ?? ANONYMOUS),
    onInternalError: (error, request) => request.log.error({ err: error }, "internal error, masked in the SMI answer"),
  });
  app.get("/metrics", async (_request, reply) => {
    reply.type(options.metrics.registry.contentType);
    return options.metrics.registry.metrics();
  });

  const schema = await buildMeshqlSchema();
  registerSubscriptions(app, { schema, service: options.service, metrics: options.metrics, ...options.subscriptions });
  const apollo = new ApolloServer<GraphQLContext>({
    schema,
    // Introspection-driven tools (codegen, IDEs) are first-class users, in production too.
    introspection: true,
    includeStacktraceInErrorResponses: false,
    formatError: formatGraphQLError,
    // Apollo's landing page loads from a CDN; browsers get the bundled IDE (console.ts) instead.
    plugins: [
      fastifyApolloDrainPlugin(app),
      logMaskedErrors(app.log),
      ApolloServerPluginLandingPageDisabled(),
      // The schema has no cache hints, so Apollo's cache-control plugin could only ever say no-store;
      // but its per-field hook costs every field of every answer (~100,000 at 1,000 Deployments).
      ApolloServerPluginCacheControlDisabled(),
      noStore,
      documentLimitsPlugin(options.documentLimits ?? DEFAULT_DOCUMENT_LIMITS),
    ],
  });
  await apollo.start();
  await app.register(fastifyApollo(apollo), {
    path: "/graphql",
    context: async (request) => ({ scope: options.service.scope(request.meshqlUser ?? ANONYMOUS), log: request.log }),
  });

  return app;
}

/**
 * fastify's two lines per request ("incoming", "completed") give way to one, with
 * fastify's reqId: method, route, path, status, duration and the authenticated
 * user. No headers, query string or body: they may carry tokens.
 */
class OneLinePerRequest extends LogController {
  override incomingRequest(): void {}

  // The request line already says 404.
  override routeNotFound(): void {}

  override requestCompleted(error: Error | null | undefined, request: FastifyRequest, reply: FastifyReply): void {
    const user = request.meshqlUser && request.meshqlUser !== ANONYMOUS ? request.meshqlUser.username : undefined;
    const fields = {
      method: request.method,
      route: request.routeOptions.url ?? "unmatched",
      path: request.url.split("?", 1)[0],
      status: reply.statusCode,
      durationMs: Math.round(reply.elapsedTime * 10) / 10,
      ...(user === undefined ? {} : { user }),
      ...(error ? { err: error } : {}),
    };
    if (error || reply.statusCode >= 500) request.log.error(fields, "request");
    else request.log.info(fields, "request");
  }
}

const PUBLIC_PATHS = new Set(["/healthz", "/livez", "/readyz", "/apis", "/apis/metrics.smi-spec.io", "/apis/metrics.smi-spec.io/v1alpha1"]);

/**
 * Probes and discovery need no user: kubelet probes carry no credentials, and the
 * aggregator checks availability through discovery. Neither holds any metrics.
 */
function isPublic(url: string): boolean {
  const path = (url.split("?", 1)[0] ?? "").replace(/\/+$/, "") || "/";
  return PUBLIC_PATHS.has(path) || path === "/openapi/v2" || path.startsWith("/openapi/v3");
}

function unauthorizedBody(url: string, message: string): string {
  if (url.startsWith("/graphql")) return JSON.stringify({ errors: [{ message, extensions: { code: "UNAUTHENTICATED" } }] });
  return JSON.stringify(failure(401, "Unauthorized", message));
}

/** What Apollo's cache-control plugin answered for a schema without cache hints: `no-store`, unless a header is there it cannot parse. */
const noStore: ApolloServerPlugin = {
  async requestDidStart() {
    return {
      async willSendResponse({ response }) {
        const existing = response.http.headers.get("cache-control");
        if (existing === undefined || existing === "no-store" || /^max-age=\d+, (public|private)$/.test(existing)) {
          response.http.headers.set("cache-control", "no-store");
        }
      },
    };
  },
};
