// Identical work done once: concurrent identical GraphQL documents (same text,
// variables, evaluation moment and user) share one execution, and repeats
// within the TTL are answered from the finished answer without running Apollo.
// The key holds the user's whole identity, so nobody ever gets an answer that
// was computed under someone else's access.

import type { FastifyInstance, FastifyReply, FastifyRequest } from "fastify";
import type { UserInfo } from "../service/access.ts";

/** A finished HTTP answer, as sent. */
export interface SharedAnswer {
  readonly status: number;
  readonly contentType: string;
  readonly body: string;
}

export type Outcome = "executed" | "shared" | "cached";

export interface AnswerSharingOptions {
  /** How long a finished answer is reused; 0 shares only executions in flight. */
  readonly ttlMs: number;
  /** Most bytes of answers kept; the oldest go first. */
  readonly maxBytes: number;
  readonly now?: () => number;
}

/** What a request does: wait for (or take) another's answer, or execute and settle for the others. */
export type Admission =
  | { readonly role: "follower"; readonly outcome: "shared" | "cached"; readonly answer: Promise<SharedAnswer | null> }
  | { readonly role: "leader"; settle(answer: SharedAnswer | null): void };

interface Entry {
  readonly answer: Promise<SharedAnswer | null>;
  /** Infinity while in flight. */
  expires: number;
  bytes: number;
}

/**
 * The transport-free core: keyed in-flight sharing plus a TTL answer cache.
 * A leader that settles with null (failed, aborted, not shareable) releases its
 * followers to execute on their own.
 */
export class AnswerSharing {
  private readonly entries = new Map<string, Entry>();
  private bytes = 0;
  private readonly now: () => number;

  constructor(private readonly options: AnswerSharingOptions) {
    this.now = options.now ?? Date.now;
  }

  admit(key: string): Admission {
    const hit = this.entries.get(key);
    if (hit && hit.expires > this.now()) {
      return { role: "follower", outcome: hit.expires === Number.POSITIVE_INFINITY ? "shared" : "cached", answer: hit.answer };
    }
    if (hit) this.forget(key, hit);
    let resolve!: (answer: SharedAnswer | null) => void;
    const entry: Entry = { answer: new Promise((r) => (resolve = r)), expires: Number.POSITIVE_INFINITY, bytes: 0 };
    this.entries.set(key, entry);
    let settled = false;
    return {
      role: "leader",
      settle: (answer) => {
        if (settled) return;
        settled = true;
        resolve(answer);
        if (!answer || !cacheable(answer) || this.options.ttlMs <= 0 || answer.body.length > this.options.maxBytes) {
          this.forget(key, entry);
          return;
        }
        entry.expires = this.now() + this.options.ttlMs;
        entry.bytes = answer.body.length;
        this.bytes += entry.bytes;
        this.evict();
      },
    };
  }

  private forget(key: string, entry: Entry): void {
    if (this.entries.get(key) !== entry) return;
    this.entries.delete(key);
    this.bytes -= entry.bytes;
  }

  private evict(): void {
    // Map order is insertion order: the oldest answers go first; executions in flight hold no bytes yet.
    for (const [key, entry] of this.entries) {
      if (this.bytes <= this.options.maxBytes) return;
      if (entry.bytes > 0) this.forget(key, entry);
    }
  }
}

/**
 * Only complete successes are kept: a 200 JSON answer without top-level errors.
 * Inside JSON strings quotes are escaped, so `"errors":` can only be a key (at
 * worst an alias named errors, which just is not cached).
 */
function cacheable(answer: SharedAnswer): boolean {
  return answer.status === 200 && answer.contentType.includes("json") && !answer.body.includes('"errors":');
}

export interface SharedExecutionRoute {
  readonly path: string;
  readonly sharing: AnswerSharing;
  /** The evaluation moment a document sent now gets, in ms ("now" moves in scrape steps). */
  readonly moment: () => number;
  readonly user: (request: FastifyRequest) => UserInfo;
  readonly observe?: (outcome: Outcome) => void;
}

/**
 * Registers the sharing around a GraphQL route. Only JSON POSTs take part (they
 * have passed Apollo's CSRF rules by their content type); anything else runs as usual.
 * Register it before other pre-handlers (admission limits) so shared and cached
 * answers cost them nothing.
 */
export function registerSharedExecution(app: FastifyInstance, route: SharedExecutionRoute): void {
  const leaders = new WeakMap<FastifyRequest, (answer: SharedAnswer | null) => void>();
  app.addHook("preHandler", async (request, reply) => {
    const key = route.path === request.routeOptions.url ? keyOf(request, route) : null;
    if (key === null) return;
    for (;;) {
      const admission = route.sharing.admit(key);
      if (admission.role === "leader") {
        leaders.set(request, admission.settle);
        route.observe?.("executed");
        return;
      }
      const answer = await admission.answer;
      if (answer) {
        route.observe?.(admission.outcome);
        return send(reply, answer);
      }
      // The leader gave up; try again (one of the waiters becomes the next leader).
    }
  });
  app.addHook("onSend", async (request, reply, payload) => {
    const settle = leaders.get(request);
    if (!settle) return payload;
    leaders.delete(request);
    const contentType = String(reply.getHeader("content-type") ?? "");
    settle(typeof payload === "string" ? { status: reply.statusCode, contentType, body: payload } : null);
    return payload;
  });
  const release = async (request: FastifyRequest) => {
    leaders.get(request)?.(null);
    leaders.delete(request);
  };
  app.addHook("onResponse", release);
  app.addHook("onRequestAbort", release);
}

function send(reply: FastifyReply, answer: SharedAnswer): FastifyReply {
  return reply.code(answer.status).header("content-type", answer.contentType).send(answer.body);
}

interface GraphQLBody {
  readonly query?: unknown;
  readonly operationName?: unknown;
  readonly variables?: unknown;
  readonly extensions?: unknown;
}

/** Everything that decides the answer: user, moment, the asked-for media type, and the document. */
function keyOf(request: FastifyRequest, route: SharedExecutionRoute): string | null {
  if (request.method !== "POST" || !String(request.headers["content-type"] ?? "").startsWith("application/json")) return null;
  const body = request.body as GraphQLBody | null;
  if (body === null || typeof body !== "object" || Array.isArray(body)) return null;
  const user = route.user(request);
  return JSON.stringify([
    user.username,
    [...user.groups].sort(),
    user.extra ?? null,
    route.moment(),
    request.headers.accept ?? "",
    body.query ?? null,
    body.operationName ?? null,
    body.variables ?? null,
    body.extensions ?? null,
  ]);
}
