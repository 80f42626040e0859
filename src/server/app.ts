// HTTP composition: one fastify app serving /graphql, the SMI REST API,
// health probes and the gateway's own /metrics.

import { ApolloServer } from "@apollo/server";
import fastifyApollo, { fastifyApolloDrainPlugin } from "@as-integrations/fastify";
import Fastify, { type FastifyInstance, type FastifyRequest, type FastifyServerOptions } from "fastify";
import type { GraphQLContext } from "../graphql/context.ts";
import { formatGraphQLError } from "../graphql/errors.ts";
import { buildMeshqlSchema } from "../graphql/schema.ts";
import { ANONYMOUS, type UserInfo } from "../service/access.ts";
import type { MeshqlService } from "../service/service.ts";
import { registerSmi } from "../smi/index.ts";
import { readiness as runReadiness, registerHealth, type ReadinessCheck } from "./health.ts";
import type { GatewayMetrics } from "./metrics.ts";

export interface AppOptions {
  readonly service: MeshqlService;
  readonly metrics: GatewayMetrics;
  readonly readiness: readonly ReadinessCheck[];
  /** Who sent the request; throws to refuse it. Default: everyone is anonymous (the demo). */
  readonly authenticate?: (request: FastifyRequest) => Promise<UserInfo>;
  readonly fastify?: FastifyServerOptions;
}

declare module "fastify" {
  interface FastifyRequest {
    /** Set by the authentication hook; null on probes, which need no user. */
    meshqlUser: UserInfo | null;
  }
}

export async function buildApp(options: AppOptions): Promise<FastifyInstance> {
  const app = Fastify({ logger: false, ...options.fastify });
  const authenticate = options.authenticate ?? (async () => ANONYMOUS);

  app.decorateRequest("meshqlUser", null);
  app.addHook("onRequest", async (request) => {
    if (isProbe(request.url)) return;
    request.meshqlUser = await authenticate(request);
  });
  app.addHook("onResponse", async (request, reply) => {
    const route = request.routeOptions.url ?? "unmatched";
    options.metrics.httpRequests.observe({ route, method: request.method, code: String(reply.statusCode) }, reply.elapsedTime / 1000);
  });

  registerHealth(app, options.readiness);
  registerSmi(app, {
    scopeFor: (request) => options.service.scope(request.meshqlUser ?? ANONYMOUS),
    ready: async () => {
      const { ok, lines } = await runReadiness(options.readiness);
      return { ok, message: lines.join("; ") };
    },
  });
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

function isProbe(url: string): boolean {
  const path = url.split("?", 1)[0];
  return path === "/healthz" || path === "/livez" || path === "/readyz";
}
