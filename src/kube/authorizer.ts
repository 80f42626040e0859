// Per-namespace authorization through the cluster: every check becomes a
// SubjectAccessReview for group metrics.smi-spec.io, so cluster RBAC decides
// who sees which namespace's metrics (the reference implementation checked
// nothing past the aggregator).
//
// Cost control: answers are cached briefly (allowed longer than denied, so a
// freshly granted RoleBinding takes effect quickly), identical checks in
// flight share one review, and the checks of one request are collected by a
// DataLoader into one batch whose reviews run concurrently.
//
// Failure policy: when the API server cannot answer (unreachable, 5xx, or
// meshql's own account may not create reviews), allowed() rejects with
// AuthorizationUnavailableError. Transports answer 503 ServiceUnavailable: a
// 403 would tell the user they lack rights when nobody knows, and allowing
// would fail open. Failures are never cached.

import DataLoader from "dataloader";
import { SMI_GROUP, SMI_VERSION } from "../domain/api-group.ts";
import { UnavailableError } from "../domain/errors.ts";
import type { AccessCheck, Authorizer, UserInfo } from "../service/access.ts";
import type { KubeClient } from "./client.ts";
import { TtlCache } from "./ttl-cache.ts";

/** The authorization backend could not decide; map to 503, never to 403 or an allow. */
export class AuthorizationUnavailableError extends UnavailableError {
  override readonly name = "AuthorizationUnavailableError";
}

export interface SubjectAccessReviewAuthorizerOptions {
  readonly allowedTtlMs?: number;
  readonly deniedTtlMs?: number;
  readonly maxEntries?: number;
  /** Reviews of one batch in flight at once. */
  readonly maxConcurrency?: number;
  /** How long a batch collects checks; async resolvers need a few ms to join. */
  readonly batchWindowMs?: number;
  readonly log?: (message: string) => void;
  readonly now?: () => number;
}

interface Pending {
  readonly user: UserInfo;
  readonly check: AccessCheck;
}

interface SarStatus {
  status?: { allowed?: boolean; denied?: boolean; reason?: string; evaluationError?: string };
}

function sorted<T>(values: readonly T[]): T[] {
  return [...values].sort();
}

/** Everything a decision depends on, in a canonical order. */
function reviewKey(user: UserInfo, c: AccessCheck): string {
  const extra = Object.entries(user.extra ?? {})
    .map(([k, v]) => [k, sorted(v)] as const)
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  return JSON.stringify([
    user.username,
    sorted(user.groups),
    extra,
    c.verb,
    c.resource,
    c.subresource ?? "",
    c.namespace ?? "",
    c.name ?? "",
  ]);
}

/** The request body; exported for tests and for readers who want to see what is sent. */
export function subjectAccessReview(user: UserInfo, c: AccessCheck): Record<string, unknown> {
  const resourceAttributes: Record<string, string> = { group: SMI_GROUP, version: SMI_VERSION, resource: c.resource, verb: c.verb };
  if (c.subresource) resourceAttributes.subresource = c.subresource;
  if (c.namespace) resourceAttributes.namespace = c.namespace;
  if (c.name) resourceAttributes.name = c.name;
  const spec: Record<string, unknown> = { user: user.username, groups: [...user.groups], resourceAttributes };
  if (user.extra && Object.keys(user.extra).length > 0) {
    spec.extra = Object.fromEntries(Object.entries(user.extra).map(([k, v]) => [k, [...v]]));
  }
  return { apiVersion: "authorization.k8s.io/v1", kind: "SubjectAccessReview", spec };
}

async function mapLimited<T, R>(items: readonly T[], limit: number, fn: (item: T) => Promise<R>): Promise<R[]> {
  const out = new Array<R>(items.length);
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < items.length) {
      const i = next++;
      out[i] = await fn(items[i]!);
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
  return out;
}

export class SubjectAccessReviewAuthorizer implements Authorizer {
  readonly stats = { reviews: 0, cacheHits: 0, coalesced: 0, batches: 0, failures: 0 };
  private readonly client: KubeClient;
  private readonly allowedTtlMs: number;
  private readonly deniedTtlMs: number;
  private readonly maxConcurrency: number;
  private readonly log: (message: string) => void;
  private readonly cache: TtlCache<boolean>;
  private readonly inFlight = new Map<string, Promise<boolean>>();
  private readonly pending = new Map<string, Pending>();
  private readonly loader: DataLoader<string, boolean>;

  constructor(client: KubeClient, options: SubjectAccessReviewAuthorizerOptions = {}) {
    this.client = client;
    this.allowedTtlMs = options.allowedTtlMs ?? 10_000;
    this.deniedTtlMs = options.deniedTtlMs ?? 5_000;
    this.maxConcurrency = options.maxConcurrency ?? 32;
    this.log = options.log ?? (() => undefined);
    this.cache = new TtlCache<boolean>(options.maxEntries ?? 10_000, options.now);
    const windowMs = options.batchWindowMs ?? 2;
    this.loader = new DataLoader<string, boolean>((keys) => this.review(keys), {
      // The TTL cache and in-flight map do the caching; DataLoader's would never expire.
      cache: false,
      batchScheduleFn: (cb) => setTimeout(cb, windowMs),
    });
  }

  async allowed(user: UserInfo, checks: readonly AccessCheck[]): Promise<boolean[]> {
    return Promise.all(checks.map((c) => this.one(user, c)));
  }

  private one(user: UserInfo, check: AccessCheck): Promise<boolean> {
    const key = reviewKey(user, check);
    const cached = this.cache.get(key);
    if (cached !== undefined) {
      this.stats.cacheHits++;
      return Promise.resolve(cached);
    }
    const running = this.inFlight.get(key);
    if (running) {
      this.stats.coalesced++;
      return running;
    }
    this.pending.set(key, { user, check });
    const p = this.loader.load(key).finally(() => {
      this.inFlight.delete(key);
      this.pending.delete(key);
    });
    this.inFlight.set(key, p);
    return p;
  }

  private async review(keys: readonly string[]): Promise<(boolean | Error)[]> {
    this.stats.batches++;
    return mapLimited(keys, this.maxConcurrency, async (key): Promise<boolean | Error> => {
      const p = this.pending.get(key);
      if (!p) return new AuthorizationUnavailableError("internal: review without a pending check");
      this.stats.reviews++;
      try {
        const body = await this.client.json<SarStatus>(
          "POST",
          "/apis/authorization.k8s.io/v1/subjectaccessreviews",
          subjectAccessReview(p.user, p.check),
        );
        const allowed = body.status?.allowed === true && body.status.denied !== true;
        if (!allowed && body.status?.evaluationError) {
          // The API server still decided (deny); its authorizers' trouble is worth a log line.
          this.log(`SubjectAccessReview for ${p.user.username} denied with evaluationError: ${body.status.evaluationError}`);
        }
        this.cache.set(key, allowed, allowed ? this.allowedTtlMs : this.deniedTtlMs);
        return allowed;
      } catch (e) {
        this.stats.failures++;
        const why = e instanceof Error ? e.message : String(e);
        this.log(`SubjectAccessReview failed: ${why}`);
        return new AuthorizationUnavailableError(`authorization is unavailable: ${why}`, { cause: e });
      }
    });
  }
}
