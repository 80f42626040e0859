// Request authentication as a Kubernetes extension API server does it, apart
// from the transport: the caller hands over the peer's certificates (with the
// TLS layer's verdict) and the headers, and gets a user or a 401.
//
// Order and rules (those of kube-apiserver's delegated authentication):
//  1. Front proxy: a client certificate chaining to the requestheader client
//     CA, whose CN is in requestheader-allowed-names (empty list: any CN),
//     vouches for the user in the username header, the groups in the group
//     headers and the extras under the extra-header prefixes.
//  2. Bearer token, checked by a TokenReview (cached briefly).
//  3. Anonymous, only if enabled and no credential was presented at all: a
//     presented but invalid certificate or token is a 401, never a downgrade.
// Identity headers (X-Remote-*) on a request the front proxy did not vouch
// for are a spoofing attempt and answer 401 whatever else the request carries.

import { UnauthenticatedError } from "../domain/errors.ts";
import { createHash, X509Certificate } from "node:crypto";
import { ANONYMOUS, type UserInfo } from "../service/access.ts";
import type { KubeClient } from "./client.ts";
import { TtlCache } from "./ttl-cache.ts";

export interface RequestHeaderSettings {
  /** The requestheader client CA bundle, PEM (also the TLS server's `ca` option). */
  readonly clientCAPem: string;
  readonly clientCA: readonly X509Certificate[];
  /** Accepted front-proxy CNs; empty: any certificate the CA signed. */
  readonly allowedNames: readonly string[];
  /** Lower-case header names; the first one with a value names the user. */
  readonly usernameHeaders: readonly string[];
  readonly groupHeaders: readonly string[];
  readonly extraHeaderPrefixes: readonly string[];
}

/** The kubeadm defaults, used when only a CA is configured. */
export const DEFAULT_USERNAME_HEADERS = ["x-remote-user"];
export const DEFAULT_GROUP_HEADERS = ["x-remote-group"];
export const DEFAULT_EXTRA_HEADER_PREFIXES = ["x-remote-extra-"];

export type AuthenticationFailure = "invalid-certificate" | "spoofed-headers" | "invalid-token" | "token-review-failed" | "no-credentials";

/** Answer 401 Unauthorized; `reason` is for logs, not for the client. */
export class AuthenticationError extends UnauthenticatedError {
  override readonly name = "AuthenticationError";
  readonly statusCode = 401;
  readonly reason: AuthenticationFailure;
  constructor(reason: AuthenticationFailure, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.reason = reason;
  }
}

/** The peer's certificates, leaf first, and whether the TLS layer verified them against its CA. */
export interface PeerCertificates {
  readonly chain: readonly X509Certificate[];
  readonly verified: boolean;
}

export type HeaderValues = Readonly<Record<string, string | readonly string[] | undefined>>;

export interface AuthnRequest {
  readonly peer: PeerCertificates | null;
  /** Header names in lower case; repeated headers as arrays (node's headersDistinct). */
  readonly headers: HeaderValues;
}

/** Resolves the token's user, null when the token is not valid; throws when it cannot tell. */
export type TokenReviewer = (token: string) => Promise<UserInfo | null>;

export interface RequestAuthenticatorOptions {
  readonly requestHeader: RequestHeaderSettings | null;
  readonly tokenReviewer: TokenReviewer | null;
  readonly allowAnonymous: boolean;
  readonly tokenCacheTtlMs?: number;
  readonly invalidTokenCacheTtlMs?: number;
  readonly now?: () => Date;
  readonly log?: (message: string) => void;
}

export function parseCertificates(pem: string): X509Certificate[] {
  const blocks = pem.match(/-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----/g) ?? [];
  return blocks.map((b) => new X509Certificate(b));
}

export function commonName(cert: X509Certificate): string | null {
  for (const line of cert.subject.split("\n")) if (line.startsWith("CN=")) return line.slice(3);
  return null;
}

function values(headers: HeaderValues, name: string): string[] {
  const v = headers[name];
  if (v === undefined) return [];
  return typeof v === "string" ? [v] : [...v];
}

function withinValidity(cert: X509Certificate, now: Date): boolean {
  return new Date(cert.validFrom).getTime() <= now.getTime() && now.getTime() <= new Date(cert.validTo).getTime();
}

function issued(issuer: X509Certificate, cert: X509Certificate): boolean {
  return cert.checkIssued(issuer) && cert.verify(issuer.publicKey);
}

/**
 * Whether the chain leads to the requestheader CA. Checked here even when TLS
 * verified it: the server's `ca` may hold more CAs than this one, and a
 * transport-agnostic caller's "verified" is only as good as its TLS setup.
 */
export function chainsTo(chain: readonly X509Certificate[], roots: readonly X509Certificate[], now: Date): string | null {
  const leaf = chain[0];
  if (!leaf) return "no certificate";
  let cert = leaf;
  const intermediates = chain.slice(1);
  for (let depth = 0; depth < 5; depth++) {
    if (!withinValidity(cert, now)) return `certificate ${JSON.stringify(cert.subject.replace(/\n/g, ","))} is outside its validity period`;
    const root = roots.find((r) => issued(r, cert));
    if (root) return withinValidity(root, now) ? null : "the requestheader CA certificate is outside its validity period";
    const next = intermediates.find((i) => i.ca && issued(i, cert));
    if (!next) return "certificate is not signed by the requestheader client CA";
    cert = next;
  }
  return "certificate chain is too long";
}

function identityHeaderNames(settings: RequestHeaderSettings | null): { exact: string[]; prefixes: string[] } {
  return {
    exact: [...(settings?.usernameHeaders ?? DEFAULT_USERNAME_HEADERS), ...(settings?.groupHeaders ?? DEFAULT_GROUP_HEADERS)],
    prefixes: [...(settings?.extraHeaderPrefixes ?? DEFAULT_EXTRA_HEADER_PREFIXES)],
  };
}

function bearerToken(headers: HeaderValues): string | null | undefined {
  const auth = values(headers, "authorization")[0];
  if (auth === undefined) return undefined;
  const m = /^Bearer\s+(\S+)\s*$/i.exec(auth);
  return m ? m[1]! : null;
}

export class RequestAuthenticator {
  private readonly opts: RequestAuthenticatorOptions;
  private readonly tokens: TtlCache<UserInfo | null>;
  private readonly tokensInFlight = new Map<string, Promise<UserInfo | null>>();
  private readonly now: () => Date;
  private readonly log: (message: string) => void;

  constructor(options: RequestAuthenticatorOptions) {
    this.opts = options;
    this.tokens = new TtlCache(10_000);
    this.now = options.now ?? (() => new Date());
    this.log = options.log ?? (() => undefined);
  }

  get requestHeader(): RequestHeaderSettings | null {
    return this.opts.requestHeader;
  }

  async authenticate(req: AuthnRequest): Promise<UserInfo> {
    const failures: AuthenticationError[] = [];

    const proxied = this.fromFrontProxy(req, failures);
    if (proxied) return proxied;

    if (this.hasIdentityHeaders(req.headers)) {
      throw new AuthenticationError("spoofed-headers", "identity headers are accepted only from a verified front proxy");
    }

    const token = bearerToken(req.headers);
    if (token === null) failures.push(new AuthenticationError("invalid-token", "Authorization header is not a bearer token"));
    else if (token !== undefined) {
      const user = await this.fromToken(token, failures);
      if (user) return user;
    }

    const first = failures[0];
    if (first) throw first;
    if (this.opts.allowAnonymous) return ANONYMOUS;
    throw new AuthenticationError("no-credentials", "no credentials, and anonymous access is disabled");
  }

  private fromFrontProxy(req: AuthnRequest, failures: AuthenticationError[]): UserInfo | null {
    const settings = this.opts.requestHeader;
    if (!req.peer || req.peer.chain.length === 0) return null;
    if (!settings) {
      failures.push(
        new AuthenticationError("invalid-certificate", "client certificates are not accepted: no requestheader client CA is configured"),
      );
      return null;
    }
    const leaf = req.peer.chain[0]!;
    const problem = !req.peer.verified
      ? "the TLS layer did not verify the client certificate"
      : chainsTo(req.peer.chain, settings.clientCA, this.now());
    if (problem) {
      failures.push(new AuthenticationError("invalid-certificate", problem));
      return null;
    }
    const cn = commonName(leaf);
    if (settings.allowedNames.length > 0 && (cn === null || !settings.allowedNames.includes(cn))) {
      failures.push(
        new AuthenticationError("invalid-certificate", `client certificate CN ${JSON.stringify(cn)} is not an allowed front proxy`),
      );
      return null;
    }
    const username = settings.usernameHeaders.map((h) => values(req.headers, h).find((v) => v !== "")).find((v) => v !== undefined);
    // A vouched-for connection without a user name authenticates nobody; other methods may still apply.
    if (username === undefined) return null;
    const groups = settings.groupHeaders.flatMap((h) => values(req.headers, h));
    const extra: Record<string, string[]> = {};
    for (const [name, v] of Object.entries(req.headers)) {
      const prefix = settings.extraHeaderPrefixes.find((p) => name.startsWith(p));
      if (!prefix || v === undefined || name.length === prefix.length) continue;
      let key: string;
      try {
        // Extra keys travel percent-encoded, since header names cannot carry every character.
        key = decodeURIComponent(name.slice(prefix.length)).toLowerCase();
      } catch {
        continue;
      }
      (extra[key] ??= []).push(...(typeof v === "string" ? [v] : v));
    }
    return Object.keys(extra).length > 0 ? { username, groups, extra } : { username, groups };
  }

  private hasIdentityHeaders(headers: HeaderValues): boolean {
    const { exact, prefixes } = identityHeaderNames(this.opts.requestHeader);
    return Object.keys(headers).some((name) => exact.includes(name) || prefixes.some((p) => name.startsWith(p)));
  }

  private async fromToken(token: string, failures: AuthenticationError[]): Promise<UserInfo | null> {
    const reviewer = this.opts.tokenReviewer;
    if (!reviewer) {
      failures.push(new AuthenticationError("invalid-token", "bearer tokens are not accepted: no TokenReview client is configured"));
      return null;
    }
    // Tokens are secrets: the cache keys on their digest.
    const key = createHash("sha256").update(token).digest("hex");
    let user = this.tokens.get(key);
    if (user === undefined) {
      let running = this.tokensInFlight.get(key);
      if (!running) {
        running = reviewer(token).finally(() => this.tokensInFlight.delete(key));
        this.tokensInFlight.set(key, running);
      }
      try {
        user = await running;
      } catch (e) {
        this.log(`TokenReview failed: ${e instanceof Error ? e.message : String(e)}`);
        failures.push(new AuthenticationError("token-review-failed", "the bearer token could not be checked", { cause: e }));
        return null;
      }
      this.tokens.set(key, user, user ? (this.opts.tokenCacheTtlMs ?? 10_000) : (this.opts.invalidTokenCacheTtlMs ?? 2_000));
    }
    if (!user) failures.push(new AuthenticationError("invalid-token", "the bearer token is not valid"));
    return user;
  }
}

interface TokenReviewStatus {
  status?: {
    authenticated?: boolean;
    error?: string;
    user?: { username?: string; groups?: string[]; extra?: Record<string, string[]> };
  };
}

/** A TokenReviewer backed by the API server (authentication.k8s.io/v1). */
export function kubeTokenReviewer(client: KubeClient, audiences: readonly string[] = []): TokenReviewer {
  return async (token) => {
    const spec: Record<string, unknown> = { token };
    if (audiences.length > 0) spec.audiences = [...audiences];
    const body = await client.json<TokenReviewStatus>("POST", "/apis/authentication.k8s.io/v1/tokenreviews", {
      apiVersion: "authentication.k8s.io/v1",
      kind: "TokenReview",
      spec,
    });
    const s = body.status;
    if (!s?.authenticated || !s.user?.username) return null;
    const user: UserInfo = { username: s.user.username, groups: s.user.groups ?? [] };
    return s.user.extra && Object.keys(s.user.extra).length > 0 ? { ...user, extra: s.user.extra } : user;
  };
}
