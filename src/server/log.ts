// The gateway's log: pino, fastify's own logger. JSON lines for collectors,
// pino-pretty for people at a terminal. What may go in a line is decided here:
// never a metric value, a token, a certificate or a backend's credentials.

import type { DestinationStream, Logger } from "pino";
import { pino } from "pino";
import pretty from "pino-pretty";
import type { LogOptions } from "./log-options.ts";

export { LOG_FORMATS, LOG_LEVELS, type LogFormat, type LogLevel, type LogOptions } from "./log-options.ts";
export type { Logger };

// Belt and braces: no code path logs headers, but a stray `req` or `headers`
// object must still not carry credentials into a log.
const REDACT = ["req.headers.authorization", "req.headers.cookie", "headers.authorization", "headers.cookie", "*.authorization"];

/** The logger of `meshql serve` and `meshql demo`; tests pass their own destination to read the lines. */
export function createLogger(options: LogOptions, destination?: DestinationStream): Logger {
  const base = { level: options.level, base: { service: "meshql" }, redact: { paths: REDACT, censor: "[redacted]" } };
  const format = options.format === "auto" ? (process.stdout.isTTY ? "pretty" : "json") : options.format;
  if (format === "pretty") {
    // One line per entry, as in JSON; a stack still gets its own lines.
    const stream = pretty({
      destination: destination ?? 1,
      sync: true,
      colorize: !destination && process.stdout.isTTY,
      singleLine: true,
      ignore: "pid,hostname,service",
      translateTime: "SYS:HH:MM:ss.l",
    });
    return pino(base, stream);
  }
  return destination ? pino(base, destination) : pino(base);
}

/** For gateways nobody reads the log of (most tests). */
export const SILENT_LOGGER: Logger = pino({ level: "silent" });

const PROMQL_MAX = 240;
const ERROR_TEXT_MAX = 400;

/** One line of text, cut to `max` characters. */
function shorten(text: string, max: number): string {
  const line = text.replace(/\s+/g, " ").trim();
  return line.length <= max ? line : `${line.slice(0, max - 1)}…`;
}

/** user:password@ in any URL of the text goes: backend URLs may carry basic-auth credentials. */
function withoutCredentials(text: string): string {
  return text.replace(/([a-z][a-z0-9+.-]*:\/\/)[^/\s@]*@/gi, "$1");
}

/** The backend's address as it may be logged: no credentials, no query string. */
function safeBackendUrl(baseUrl: string): string {
  try {
    const url = new URL(baseUrl);
    return `${url.protocol}//${url.host}${url.pathname}`;
  } catch {
    return withoutCredentials(baseUrl).split("?", 1)[0]!;
  }
}

export interface FailedQuery {
  readonly query: string;
  readonly seconds: number;
  /** The failure's kind (BackendError kinds). */
  readonly outcome: string;
  readonly error?: unknown;
  /** Absent when no HTTP answer came (unreachable, timeout). */
  readonly httpStatus?: number;
}

/** One warn line per failed backend query: enough to tell a misconfigured backend from an outage. */
export function logFailedQuery(log: Logger, backendUrl: string, failed: FailedQuery): void {
  const url = safeBackendUrl(backendUrl);
  // The error may quote the configured URL whole (query string included): it is said the safe way.
  const text = (failed.error instanceof Error ? failed.error.message : String(failed.error)).split(backendUrl).join(url);
  log.warn(
    {
      event: "backend_query_failed",
      kind: failed.outcome,
      ...(failed.httpStatus === undefined ? {} : { httpStatus: failed.httpStatus }),
      backendError: shorten(withoutCredentials(text), ERROR_TEXT_MAX),
      promql: shorten(failed.query, PROMQL_MAX),
      url,
      durationMs: Math.round(failed.seconds * 1000),
    },
    "backend query failed",
  );
}
