// The people's pages: the web console at `/` and the GraphQL IDE at
// `GET /graphql` (for browsers), both built by Vite into dist/web and served
// from this gateway alone. Clients' GET and POST queries still reach Apollo.

import { existsSync, readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import fastifyStatic from "@fastify/static";
import type { FastifyInstance, FastifyReply, FastifyRequest } from "fastify";

export interface ConsoleOptions {
  /** Serve GraphiQL to browsers at GET /graphql (flag --graphql-ide). */
  readonly graphqlIde: boolean;
  /** The Vite build; defaults to dist/web beside the sources or the compiled code. */
  readonly webDir?: string | null;
}

/**
 * Nothing from outside the gateway: scripts, styles, fonts, workers and
 * queries all come from this origin. Inline styles are what the graph and
 * editor libraries set on their elements.
 */
const CONTENT_SECURITY_POLICY = [
  "default-src 'self'",
  "script-src 'self'",
  "style-src 'self' 'unsafe-inline'",
  "img-src 'self' data: blob:",
  "font-src 'self' data:",
  "worker-src 'self' blob:",
  "connect-src 'self'",
  "object-src 'none'",
  "base-uri 'self'",
  "frame-ancestors 'self'",
].join("; ");

const NOT_BUILT = "The console is not built: run `npm run build:web` (the test command and the container image do it).\n";

/** Where the Vite build is: dist/web from src/server (tsx) or from dist/server (compiled). */
export function findWebDir(): string | null {
  for (const candidate of ["../../dist/web/", "../web/"]) {
    const dir = fileURLToPath(new URL(candidate, import.meta.url));
    if (existsSync(`${dir}index.html`)) return dir;
  }
  return null;
}

/** The pages and their assets hold no data, so they need no user; every query they send does. */
export function isConsoleShell(request: FastifyRequest): boolean {
  if (request.method !== "GET" && request.method !== "HEAD") return false;
  const path = request.url.split("?", 1)[0] ?? "";
  return path === "/" || path.startsWith("/assets/") || wantsIde(request);
}

/**
 * A browser opening /graphql: it asks for HTML and sends no parameters at all.
 * Any parameter (query, or a persisted query's extensions) is a client's
 * request, which must be authenticated and reach Apollo.
 */
function wantsIde(request: FastifyRequest): boolean {
  if (request.url !== "/graphql" && request.url !== "/graphql/") return false;
  return /\btext\/html\b/.test(request.headers.accept ?? "");
}

export async function registerConsole(app: FastifyInstance, options: ConsoleOptions): Promise<void> {
  const webDir = options.webDir === undefined ? findWebDir() : options.webDir;
  // Read per request (two small files): a rebuild shows up without a restart.
  const page = (file: string): string | null =>
    webDir && existsSync(`${webDir}${file}`) ? readFileSync(`${webDir}${file}`, "utf8") : null;

  const sendPage = (reply: FastifyReply, file: string): FastifyReply => {
    const html = page(file);
    if (html === null) return reply.code(503).type("text/plain; charset=utf-8").send(NOT_BUILT);
    return reply
      .type("text/html; charset=utf-8")
      .header("cache-control", "no-cache")
      .header("content-security-policy", CONTENT_SECURITY_POLICY)
      .header("x-content-type-options", "nosniff")
      .send(html);
  };

  app.get("/", async (_request, reply) => sendPage(reply, "index.html"));
  if (options.graphqlIde) {
    // Apollo owns GET /graphql; a browser's page request is answered before it routes.
    app.addHook("onRequest", async (request, reply) => {
      if (request.method === "GET" && wantsIde(request)) return sendPage(reply, "graphql.html");
    });
  }
  if (webDir && existsSync(`${webDir}assets`)) {
    await app.register(fastifyStatic, {
      root: `${webDir}assets`,
      prefix: "/assets/",
      // File names carry a content hash: a new build is a new URL.
      immutable: true,
      maxAge: "365d",
      index: false,
    });
  }
}
