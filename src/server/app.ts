// HTTP composition: one fastify app serving /graphql, the SMI REST API,
// health probes and the gateway's own /metrics.

import { ApolloServer } from "@apollo/server";
import fastifyApollo, { fastifyApolloDrainPlugin } from "@as-integrations/fastify";
import type { ServerOptions as HttpsOptions } from "node:https";
import Fastify, { type FastifyInstance, type FastifyRequest } from "fastify";
import type { GraphQLContext } from "../graphql/context.ts";
import { formatGraphQLError } from "../graphql/errors.ts";
import { buildMeshqlSchema } from "../graphql/schema.ts";
import { type AnswerSharing, registerSharedExecution } from "../graphql/shared-execution.ts";
import { ANONYMOUS, type UserInfo } from "../service/access.ts";
import type { MeshqlService } from "../service/service.ts";
import { UnauthenticatedError } from "../domain/errors.ts";
import { registerSmi, smiFrameworkErrors } from "../smi/index.ts";
import { failure } from "../smi/status.ts";
import { type AdmissionOptions, registerAdmission } from "./admission.ts";
import { registerHealth, type ReadinessCheck } from "./health.ts";
import type { GatewayMetrics } from "./metrics.ts";

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
}

declare module "fastify" {
  interface FastifyRequest {
    /** Set by the authentication hook; null on probes, which need no user. */
    meshqlUser: UserInfo | null;
  }
}

export async function buildApp(options: AppOptions): Promise<FastifyInstance> {
  // One instance type for both: routes and hooks do not care which transport carries them.
  // frameworkErrors: a path fastify cannot decode still answers a Status under /apis.
  const base = { logger: false, frameworkErrors: smiFrameworkErrors } as const;
  const app = (options.https ? Fastify({ ...base, https: options.https }) : Fastify(base)) as unknown as FastifyInstance;
  const authenticate = options.authenticate ?? (async () => ANONYMOUS);

  app.decorateRequest("meshqlUser", null);
  app.addHook("onRequest", async (request, reply) => {
    if (isPublic(request.url)) return;
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
  registerSmi(app, { scopeFor: (request) => options.service.scope(request.meshqlUser ?? ANONYMOUS) });
  app.get("/metrics", async (_request, reply) => {
    reply.type(options.metrics.registry.contentType);
    return options.metrics.registry.metrics();
  });

  const apollo = new ApolloServer<GraphQLContext>({
    schema: await buildMeshqlSchema(),
    // Introspection-driven tools (codegen, IDEs) are first-class users, in production too.
    introspection: true,
    includeStacktraceInErrorResponses: false,
    formatError: formatGraphQLError,
    plugins: [fastifyApolloDrainPlugin(app)],
  });
  await apollo.start();
  await app.register(fastifyApollo(apollo), {
    path: "/graphql",
    context: async (request) => ({ scope: options.service.scope(request.meshqlUser ?? ANONYMOUS) }),
  });

  return app;
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
