// Wires the SMI Traffic Metrics API into the gateway's fastify app:
//   /apis, /apis/metrics.smi-spec.io, /apis/metrics.smi-spec.io/v1alpha1/...
//   /openapi/v2, /openapi/v3, /openapi/v3/apis/metrics.smi-spec.io/v1alpha1
// Routing is done here rather than by fastify patterns so that every path
// under /apis, matched or not, answers with a Kubernetes Status, trailing
// slashes are accepted, and percent-encoded segments reach the service's
// name validation intact.

import type { FastifyError, FastifyInstance, FastifyReply, FastifyRequest } from "fastify";
import type { ResourceScope } from "../service/types.ts";
import { GROUP } from "./api.ts";
import { executeSmi, staticDocument } from "./handlers.ts";
import { goJson } from "./json.ts";
import { openApiDocs, OPENAPI_V3_GV_PATH } from "./openapi.ts";
import { parseSmiParams } from "./params.ts";
import { badPathMessage, routeSmi, type SmiRoute } from "./router.ts";
import { badRequestStatus, clientErrorStatus, failure, notFoundStatus, statusForError, type Status, type StatusTarget } from "./status.ts";

export interface SmiDeps {
  scopeFor(request: FastifyRequest): ResourceScope;
  /** Where unexpected errors are reported; default: the request's logger. */
  onInternalError?(error: unknown, request: FastifyRequest): void;
}

const JSON_TYPE = "application/json";

function sendJson(reply: FastifyReply, code: number, body: object): FastifyReply {
  return reply.code(code).type(JSON_TYPE).send(goJson(body));
}

function sendStatus(reply: FastifyReply, status: Status): FastifyReply {
  return sendJson(reply, status.code, status);
}

function splitUrl(url: string): { path: string; query: string } {
  const q = url.indexOf("?");
  return q < 0 ? { path: url, query: "" } : { path: url.slice(0, q), query: url.slice(q + 1) };
}

function targetOf(route: SmiRoute): StatusTarget | undefined {
  if (route.op === "get" || route.op === "edges") return { kind: route.kind.plural, name: route.name };
  if (route.op === "list") return { kind: route.kind.plural };
  return undefined;
}

const methodNotAllowed = async (_request: FastifyRequest, reply: FastifyReply): Promise<FastifyReply> =>
  sendStatus(
    reply,
    failure(405, "MethodNotAllowed", `the server does not allow this method on the requested resource: ${GROUP} is read-only (get, list)`),
  );

/** Paths this module answers, so their errors are Statuses (the aggregator sends it only these). */
function isSmiPath(url: string): boolean {
  return url === "/apis" || url.startsWith("/apis/") || url.startsWith("/apis?") || url.startsWith("/openapi/");
}

/**
 * For fastify's `frameworkErrors` server option: errors fastify raises before
 * any route or hook runs, such as a path that does not percent-decode (`%ZZ`,
 * a lone `%`, truncated UTF-8). Under the SMI's paths they answer a Status;
 * elsewhere fastify's own error body, as without the option.
 */
export function smiFrameworkErrors(error: FastifyError, request: FastifyRequest, reply: FastifyReply): void {
  const code = error.statusCode ?? 500;
  if (!isSmiPath(request.url)) {
    void reply.code(code).send(error);
    return;
  }
  const status =
    error.code === "FST_ERR_BAD_URL"
      ? badRequestStatus(badPathMessage(splitUrl(request.url).path))
      : code >= 400 && code < 500
        ? clientErrorStatus(code)
        : statusForError(error);
  void sendStatus(reply, status);
}

export function registerSmi(app: FastifyInstance, deps: SmiDeps): void {
  const docs = openApiDocs();
  const reportInternal = (error: unknown, request: FastifyRequest): void => {
    if (deps.onInternalError) deps.onInternalError(error, request);
    else request.log.error({ err: error }, "SMI request failed");
  };

  const serveApis = async (request: FastifyRequest, reply: FastifyReply): Promise<FastifyReply> => {
    const { path, query } = splitUrl(request.url);
    const routed = routeSmi(path);
    if (!routed.ok) {
      return sendStatus(reply, routed.reason === "badPath" ? badRequestStatus(routed.message) : notFoundStatus(routed.message));
    }
    const route = routed.route;
    try {
      const fixed = staticDocument(route);
      if (fixed) return sendJson(reply, 200, fixed);
      const params = parseSmiParams(query);
      const body = await executeSmi(route, params, deps.scopeFor(request));
      return sendJson(reply, 200, body);
    } catch (error) {
      const status = statusForError(error, targetOf(route));
      if (status.code === 500) reportInternal(error, request);
      return sendStatus(reply, status);
    }
  };

  // Encapsulated so that the error and not-found handlers apply to /apis only,
  // never to /graphql or anything else the app serves.
  void app.register(
    async (scope) => {
      // The API is read-only: refuse other methods before any body is read.
      scope.addHook("onRequest", async (request, reply) => {
        if (request.method !== "GET" && request.method !== "HEAD") return methodNotAllowed(request, reply);
      });
      scope.setErrorHandler(async (error, request, reply) => {
        // Errors fastify raised before a handler ran (bad URL, header too large...).
        const code =
          typeof (error as { statusCode?: unknown }).statusCode === "number" ? (error as { statusCode: number }).statusCode : 500;
        if (code >= 400 && code < 500) return sendStatus(reply, clientErrorStatus(code));
        reportInternal(error, request);
        return sendStatus(reply, statusForError(error));
      });
      // Paths fastify's router gives up on (e.g. over-long segments) still get
      // the same routing and validation, hence a Status, never fastify's 404 body.
      scope.setNotFoundHandler(serveApis);

      scope.get("/", serveApis);
      scope.get("/*", serveApis);
    },
    { prefix: "/apis" },
  );

  app.get("/openapi/v2", async (_request, reply) => reply.type(JSON_TYPE).send(docs.v2));
  app.get("/openapi/v3", async (_request, reply) => reply.type(JSON_TYPE).send(docs.v3Index));
  app.get(`/openapi/v3/${OPENAPI_V3_GV_PATH}`, async (_request, reply) => {
    // Content addressed by hash: cacheable for long when the hash matches.
    if (queryHash(_request) === docs.v3Hash) reply.header("cache-control", "public, immutable, max-age=31536000");
    return reply.type(JSON_TYPE).send(docs.v3);
  });
}

function queryHash(request: FastifyRequest): string | null {
  const q = (request.query ?? {}) as Record<string, unknown>;
  return typeof q.hash === "string" ? q.hash : null;
}
