// Transport limits of the HTTP server: how long a client may take to send a
// request, how big it may be, how many connections may be open, and a Host
// for HTTP/1.0 requests that carry none.

import type { ServerOptions as HttpServerOptions } from "node:http";
import type { FastifyInstance } from "fastify";

export interface ServerLimits {
  /** Headers and body must have arrived within this time (slow clients are cut with 408). */
  readonly requestTimeoutMs: number;
  /** A connection with no traffic for this long is closed. */
  readonly idleTimeoutMs: number;
  /** Largest request header block (431 past it). */
  readonly maxHeaderBytes: number;
  /** Largest request body (413 past it). */
  readonly maxBodyBytes: number;
  /** Open connections at once; more are closed on accept. */
  readonly maxConnections: number;
}

export const DEFAULT_SERVER_LIMITS: ServerLimits = {
  requestTimeoutMs: 30_000,
  idleTimeoutMs: 120_000,
  maxHeaderBytes: 16 * 1024,
  maxBodyBytes: 1024 * 1024,
  maxConnections: 1024,
};

/** Fastify's own options for these limits. */
export function fastifyLimitOptions(limits: ServerLimits): { requestTimeout: number; connectionTimeout: number; bodyLimit: number } {
  return { requestTimeout: limits.requestTimeoutMs, connectionTimeout: limits.idleTimeoutMs, bodyLimit: limits.maxBodyBytes };
}

/** Options of node's HTTP(S) server for these limits: fastify passes them to createServer. */
export function nodeServerLimitOptions(limits: ServerLimits): HttpServerOptions {
  return {
    maxHeaderSize: limits.maxHeaderBytes,
    headersTimeout: Math.min(limits.requestTimeoutMs, 60_000),
    requestTimeout: limits.requestTimeoutMs,
    // Node checks request timeouts on this period (default 30 s): check often enough that a timeout is kept.
    connectionsCheckingInterval: Math.min(1000, limits.requestTimeoutMs),
  };
}

/** What fastify cannot take as an option: the connection limit, and a Host for requests without one. */
export function applyServerLimits(app: FastifyInstance, limits: ServerLimits): void {
  app.server.maxConnections = limits.maxConnections;
  // HTTP/1.0 allows a request without Host; the server is then the one it reached.
  // Without this, code that builds URLs from the Host (Apollo's integration) throws.
  app.addHook("onRequest", async (request) => {
    if (request.raw.headers.host) return;
    const { localAddress, localPort } = request.raw.socket;
    const host = localAddress?.includes(":") ? `[${localAddress}]` : (localAddress ?? "localhost");
    request.raw.headers.host = localPort ? `${host}:${localPort}` : host;
  });
}

const UNITS: Readonly<Record<string, number>> = {
  "": 1,
  B: 1,
  KiB: 1024,
  MiB: 1024 ** 2,
  GiB: 1024 ** 3,
  KB: 1000,
  MB: 1000 ** 2,
  GB: 1000 ** 3,
};

/** "64MiB", "512KiB", "1000000": a whole number of bytes, or null when the text is not one. */
export function parseByteSize(text: string): number | null {
  const match = /^(\d+)\s*([KMG]i?B|B)?$/.exec(text.trim());
  const unit = UNITS[match?.[2] ?? ""];
  if (!match || unit === undefined) return null;
  const bytes = Number(match[1]) * unit;
  return Number.isSafeInteger(bytes) ? bytes : null;
}
