// Bounded memory under load: at most N documents (GraphQL or SMI metrics
// requests) execute at once; past that a request is refused at once with 503
// and Retry-After, instead of every answer in flight growing the heap together.

import type { FastifyInstance, FastifyRequest } from "fastify";
import { failure } from "../smi/status.ts";

export interface AdmissionOptions {
  /** Most documents executing at once; 0 or less: no limit. */
  readonly maxConcurrent: number;
  /** What Retry-After says, in seconds. */
  readonly retryAfterSeconds: number;
}

const SMI_PREFIX = "/apis/metrics.smi-spec.io/v1alpha1/";

/** GraphQL executions and SMI metrics reads cost backend bytes; probes, discovery and /metrics do not. */
function kindOf(request: FastifyRequest): "graphql" | "rest" | null {
  if (request.routeOptions.url === "/graphql") return request.method === "OPTIONS" ? null : "graphql";
  return request.url.startsWith(SMI_PREFIX) ? "rest" : null;
}

/** Register after the shared-execution hooks: shared and cached answers need no slot. */
export function registerAdmission(app: FastifyInstance, options: AdmissionOptions): void {
  if (options.maxConcurrent <= 0) return;
  let active = 0;
  const admitted = new WeakSet<FastifyRequest>();
  app.addHook("preHandler", async (request, reply) => {
    const kind = kindOf(request);
    if (kind === null) return;
    if (active >= options.maxConcurrent) {
      const message =
        `meshql is answering its limit of ${options.maxConcurrent} concurrent documents; retry after ` + `${options.retryAfterSeconds}s`;
      reply.code(503).header("retry-after", String(options.retryAfterSeconds)).type("application/json");
      return reply.send(
        kind === "graphql"
          ? { errors: [{ message, extensions: { code: "SERVICE_UNAVAILABLE" } }] }
          : failure(503, "ServiceUnavailable", message, { retryAfterSeconds: options.retryAfterSeconds }),
      );
    }
    active++;
    admitted.add(request);
  });
  const release = async (request: FastifyRequest) => {
    if (admitted.delete(request)) active--;
  };
  app.addHook("onResponse", release);
  app.addHook("onRequestAbort", release);
}
