// A minimal Kubernetes REST client over node:http(s). The generated API
// classes of @kubernetes/client-node deserialize into class instances and hide
// the watch stream's lifecycle; meshql needs raw JSON, control over timeouts and
// aborts, and one keep-alive agent shared by informers and review calls. The
// KubeConfig still does the security work (CA, client certs, tokens, exec and
// token-file plugins) through applyToHTTPSOptions.

import { createHash } from "node:crypto";
import http from "node:http";
import https from "node:https";
import { createInterface } from "node:readline";
import type { KeyObject } from "node:tls";
import type { KubeConfig } from "@kubernetes/client-node";

/** A non-2xx answer from the API server, or a failed connection (status 0). */
export class KubeApiError extends Error {
  override readonly name = "KubeApiError";
  /** HTTP status; 0 when no answer arrived (connection refused, reset, timeout). */
  readonly status: number;
  /** The Status object's `reason` ("Forbidden", "Expired", ...) when there was one. */
  readonly reason: string | null;
  constructor(status: number, reason: string | null, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.status = status;
    this.reason = reason;
  }
}

export function isKubeApiError(e: unknown): e is KubeApiError {
  return e instanceof KubeApiError;
}

/** One event of a watch stream, as the API server sends it. */
export interface RawWatchEvent {
  readonly type: string;
  readonly object: unknown;
}

export interface KubeClientOptions {
  /** Deadline for ordinary (non-watch) requests. */
  readonly requestTimeoutMs?: number;
}

interface Prepared {
  readonly url: URL;
  readonly options: https.RequestOptions;
}

type TlsMaterial = string | Buffer | KeyObject | readonly (string | Buffer | KeyObject)[] | undefined;

/**
 * Everything the pooled agent was built with, as one digest: when any of it
 * changes (an exec plugin or a rewritten client-certificate file rotated the
 * pair), the agent must be rebuilt, or pooled connections keep presenting the
 * old certificate.
 */
function agentKey(protocol: string, o: https.RequestOptions): string {
  const h = createHash("sha256").update(protocol);
  const add = (label: string, v: TlsMaterial): void => {
    h.update(`\0${label}:`);
    for (const part of Array.isArray(v) ? v : [v]) {
      if (part === undefined) continue;
      h.update(typeof part === "string" || Buffer.isBuffer(part) ? part : part.pem);
      h.update("\0");
    }
  };
  add("ca", o.ca);
  add("cert", o.cert);
  add("key", o.key);
  add("servername", o.servername);
  add("verify", String(o.rejectUnauthorized !== false));
  return h.digest("hex");
}

function statusMessage(body: string): { reason: string | null; message: string | null } {
  try {
    const parsed: unknown = JSON.parse(body);
    if (parsed && typeof parsed === "object") {
      const o = parsed as { reason?: unknown; message?: unknown };
      return {
        reason: typeof o.reason === "string" ? o.reason : null,
        message: typeof o.message === "string" ? o.message : null,
      };
    }
  } catch {
    // not a Status object; the caller falls back to the HTTP status text
  }
  return { reason: null, message: null };
}

export class KubeClient {
  readonly server: string;
  private readonly kc: KubeConfig;
  private readonly requestTimeoutMs: number;
  private agent: { readonly key: string; readonly agent: http.Agent } | null = null;

  constructor(kc: KubeConfig, options: KubeClientOptions = {}) {
    const cluster = kc.getCurrentCluster();
    if (!cluster?.server) {
      // Refuse rather than guess: a missing server is how other clients end up at localhost:8080.
      throw new Error("kubeconfig has no current cluster with a server address");
    }
    this.server = cluster.server.replace(/\/+$/, "");
    this.kc = kc;
    this.requestTimeoutMs = options.requestTimeoutMs ?? 10_000;
  }

  /** GET/POST a JSON document; rejects with KubeApiError on any failure. */
  async json<T>(method: "GET" | "POST", path: string, body?: unknown, signal?: AbortSignal): Promise<T> {
    const { url, options } = await this.prepare(path);
    const payload = body === undefined ? undefined : Buffer.from(JSON.stringify(body));
    const headers: Record<string, string | string[] | number> = {
      ...(options.headers as Record<string, string | string[] | number> | undefined),
      accept: "application/json",
    };
    if (payload) {
      headers["content-type"] = "application/json";
      headers["content-length"] = payload.length;
    }
    return new Promise<T>((resolve, reject) => {
      const req = this.transport(url).request(url, { ...options, method, headers, signal }, (res) => {
        const chunks: Buffer[] = [];
        res.on("data", (c: Buffer) => chunks.push(c));
        res.on("error", (e) => reject(new KubeApiError(0, null, `${method} ${path}: ${e.message}`, { cause: e })));
        res.on("end", () => {
          const text = Buffer.concat(chunks).toString("utf8");
          const status = res.statusCode ?? 0;
          if (status < 200 || status > 299) {
            const s = statusMessage(text);
            reject(new KubeApiError(status, s.reason, `${method} ${path}: ${status} ${s.message ?? res.statusMessage ?? ""}`.trim()));
            return;
          }
          try {
            resolve(JSON.parse(text) as T);
          } catch (e) {
            reject(new KubeApiError(status, null, `${method} ${path}: response is not JSON`, { cause: e }));
          }
        });
      });
      req.setTimeout(this.requestTimeoutMs, () => req.destroy(new Error(`no answer within ${this.requestTimeoutMs} ms`)));
      req.on("error", (e) =>
        reject(e instanceof KubeApiError ? e : new KubeApiError(0, null, `${method} ${path}: ${e.message}`, { cause: e })),
      );
      req.end(payload);
    });
  }

  /**
   * Opens a watch and feeds its events to onEvent until the server ends the
   * stream (resolves) or the connection fails, goes silent for idleTimeoutMs,
   * or the signal aborts (rejects). A non-200 answer rejects with its status.
   */
  async watch(path: string, onEvent: (event: RawWatchEvent) => void, idleTimeoutMs: number, signal: AbortSignal): Promise<void> {
    const { url, options } = await this.prepare(path);
    return new Promise<void>((resolve, reject) => {
      let settled = false;
      const finish = (err: Error | null): void => {
        if (settled) return;
        settled = true;
        req.destroy();
        if (err) reject(err);
        else resolve();
      };
      const req = this.transport(url).request(
        url,
        { ...options, method: "GET", headers: { ...(options.headers as object | undefined), accept: "application/json" }, signal },
        (res) => {
          const status = res.statusCode ?? 0;
          if (status !== 200) {
            const chunks: Buffer[] = [];
            res.on("data", (c: Buffer) => chunks.push(c));
            res.on("end", () => {
              const s = statusMessage(Buffer.concat(chunks).toString("utf8"));
              finish(new KubeApiError(status, s.reason, `watch ${path}: ${status} ${s.message ?? ""}`.trim()));
            });
            res.on("error", (e) => finish(new KubeApiError(0, null, `watch ${path}: ${e.message}`, { cause: e })));
            return;
          }
          const lines = createInterface({ input: res, crlfDelay: Infinity });
          lines.on("line", (line) => {
            if (settled || line.trim() === "") return;
            let event: RawWatchEvent;
            try {
              event = JSON.parse(line) as RawWatchEvent;
            } catch (e) {
              finish(new KubeApiError(0, null, `watch ${path}: undecodable event`, { cause: e }));
              return;
            }
            try {
              onEvent(event);
            } catch (e) {
              finish(e instanceof Error ? e : new Error(String(e)));
            }
          });
          const failed = (e: Error): void => finish(new KubeApiError(0, null, `watch ${path}: ${e.message}`, { cause: e }));
          res.on("error", failed);
          // readline re-emits its input's errors; without a listener they would crash the process.
          lines.on("error", failed);
          // "aborted" = the peer cut the connection mid-stream; that is an error, not the end.
          res.on("aborted", () => finish(new KubeApiError(0, null, `watch ${path}: connection cut`)));
          lines.on("close", () => finish(res.complete ? null : new KubeApiError(0, null, `watch ${path}: connection cut`)));
        },
      );
      // A watch with no events is legitimately quiet, but never longer than the
      // server's own timeoutSeconds: silence beyond that means a dead peer.
      req.setTimeout(idleTimeoutMs, () => finish(new KubeApiError(0, null, `watch ${path}: silent for ${idleTimeoutMs} ms`)));
      req.on("error", (e) =>
        finish(e instanceof KubeApiError ? e : new KubeApiError(0, null, `watch ${path}: ${e.message}`, { cause: e })),
      );
      req.end();
    });
  }

  /** Releases pooled connections. */
  close(): void {
    this.agent?.agent.destroy();
    this.agent = null;
  }

  private transport(url: URL): typeof https | typeof http {
    return url.protocol === "http:" ? http : https;
  }

  private async prepare(path: string): Promise<Prepared> {
    const url = new URL(this.server + path);
    const options: https.RequestOptions = {};
    // Applied per request: token files and exec plugins rotate credentials.
    await this.kc.applyToHTTPSOptions(options);
    const cluster = this.kc.getCurrentCluster();
    if (!cluster?.proxyUrl) options.agent = this.agentFor(url, options);
    return { url, options };
  }

  /** The agent KubeConfig builds has no keep-alive; reuse one that does, with the same TLS material. */
  private agentFor(url: URL, options: https.RequestOptions): http.Agent {
    const key = agentKey(url.protocol, options);
    if (this.agent?.key === key) return this.agent.agent;
    // Credentials rotated: drop every connection made with the old pair, as
    // client-go does; watches resume from their resourceVersion on the new one.
    this.agent?.agent.destroy();
    const agent =
      url.protocol === "http:"
        ? new http.Agent({ keepAlive: true })
        : new https.Agent({
            keepAlive: true,
            ca: options.ca,
            cert: options.cert,
            key: options.key,
            servername: options.servername,
            ...(options.rejectUnauthorized === false ? { rejectUnauthorized: false } : {}),
          });
    this.agent = { key, agent };
    return agent;
  }
}
