// Prometheus HTTP API client: instant queries, POSTed form-encoded with an
// explicit evaluation time. Works against any Prometheus-compatible backend.

import { BackendError } from "./errors.ts";

export interface Sample {
  readonly labels: Readonly<Record<string, string>>;
  /** May be NaN or ±Infinity, as Prometheus can answer those. */
  readonly value: number;
}

export interface QueryObserver {
  /** Called once per query that was sent to the backend; a failure brings its error and, if one came, the HTTP status. */
  (event: { query: string; seconds: number; outcome: "ok" | BackendError["kind"]; error?: unknown; httpStatus?: number }): void;
}

export interface PrometheusClientOptions {
  readonly baseUrl: string;
  /** Per-query timeout, sent to the backend too so it stops working on our behalf. */
  readonly timeoutMs?: number;
  readonly headers?: Readonly<Record<string, string>>;
  readonly observer?: QueryObserver;
}

/** What the service and adapters need from a backend; the cache and tests wrap it. */
export interface InstantQuerier {
  query(promql: string, at: Date): Promise<Sample[]>;
}

const DEFAULT_TIMEOUT_MS = 10_000;

export class PrometheusClient implements InstantQuerier {
  private readonly endpoint: URL;
  private readonly timeoutMs: number;

  constructor(private readonly options: PrometheusClientOptions) {
    const base = options.baseUrl.endsWith("/") ? options.baseUrl : `${options.baseUrl}/`;
    try {
      this.endpoint = new URL("api/v1/query", base);
    } catch {
      throw new Error(`invalid Prometheus URL ${JSON.stringify(options.baseUrl)}`);
    }
    if (!/^https?:$/.test(this.endpoint.protocol)) throw new Error(`Prometheus URL must be http or https: ${options.baseUrl}`);
    this.timeoutMs = options.timeoutMs ?? DEFAULT_TIMEOUT_MS;
  }

  get url(): string {
    return this.options.baseUrl;
  }

  /** Resolves when the backend answers a trivial query; rejects with a BackendError otherwise. */
  async ping(): Promise<void> {
    await this.query("vector(1)", new Date());
  }

  async query(promql: string, at: Date): Promise<Sample[]> {
    const started = performance.now();
    let outcome: "ok" | BackendError["kind"] = "ok";
    let error: unknown;
    const exchange: { status?: number } = {};
    try {
      return await this.send(promql, at, exchange);
    } catch (e) {
      outcome = e instanceof BackendError ? e.kind : "bad_response";
      error = e;
      throw e;
    } finally {
      const seconds = (performance.now() - started) / 1000;
      this.options.observer?.({ query: promql, seconds, outcome, ...(outcome === "ok" ? {} : { error }), ...(exchange.status === undefined ? {} : { httpStatus: exchange.status }) });
    }
  }

  private async send(promql: string, at: Date, exchange: { status?: number }): Promise<Sample[]> {
    const body = new URLSearchParams({
      query: promql,
      time: (at.getTime() / 1000).toFixed(3),
      timeout: `${Math.max(1, Math.floor(this.timeoutMs / 1000))}s`,
    });
    let response: Response;
    let text: string;
    try {
      response = await fetch(this.endpoint, {
        method: "POST",
        headers: { "content-type": "application/x-www-form-urlencoded", accept: "application/json", ...this.options.headers },
        body,
        signal: AbortSignal.timeout(this.timeoutMs),
      });
      exchange.status = response.status;
      text = await response.text();
    } catch (e) {
      const name = (e as { name?: string }).name;
      if (name === "TimeoutError" || name === "AbortError") {
        throw new BackendError("timeout", `backend did not answer within ${this.timeoutMs} ms`, { cause: e });
      }
      throw new BackendError("unreachable", `backend at ${this.options.baseUrl} is unreachable: ${causeText(e)}`, { cause: e });
    }
    return parseQueryResponse(response.status, text);
  }
}

function causeText(e: unknown): string {
  const cause = (e as { cause?: { code?: string; message?: string } }).cause;
  return cause?.code ?? cause?.message ?? (e instanceof Error ? e.message : String(e));
}

interface ApiEnvelope {
  status?: unknown;
  errorType?: unknown;
  error?: unknown;
  data?: { resultType?: unknown; result?: unknown };
}

/** Parses a /api/v1/query answer; anything not of the documented shape is a bad_response. */
export function parseQueryResponse(status: number, text: string): Sample[] {
  let body: ApiEnvelope;
  try {
    body = JSON.parse(text) as ApiEnvelope;
  } catch {
    throw new BackendError("bad_response", `backend answered HTTP ${status} with a body that is not JSON`);
  }
  if (typeof body !== "object" || body === null) throw new BackendError("bad_response", "backend answered with a non-object");
  if (body.status === "error") {
    const message = `${String(body.errorType ?? "error")}: ${String(body.error ?? "")}`;
    if (body.errorType === "timeout" || body.errorType === "canceled") throw new BackendError("timeout", `backend ${message}`);
    if (body.errorType === "bad_data" || status === 400 || status === 422) throw new BackendError("bad_query", `backend rejected the query: ${message}`);
    throw new BackendError("bad_response", `backend error (HTTP ${status}) ${message}`);
  }
  if (status !== 200 || body.status !== "success" || !body.data) {
    throw new BackendError("bad_response", `backend answered HTTP ${status} without a success envelope`);
  }
  const { resultType, result } = body.data;
  if (resultType === "scalar") return [{ labels: {}, value: parseValue(result) }];
  if (resultType !== "vector" || !Array.isArray(result)) {
    throw new BackendError("bad_response", `expected a vector result, got ${String(resultType)}`);
  }
  return result.map((item: unknown) => {
    const { metric, value } = (item ?? {}) as { metric?: unknown; value?: unknown };
    if (typeof metric !== "object" || metric === null) throw new BackendError("bad_response", "vector sample without labels");
    return { labels: metric as Record<string, string>, value: parseValue(value) };
  });
}

function parseValue(pair: unknown): number {
  if (!Array.isArray(pair) || pair.length !== 2 || typeof pair[1] !== "string") {
    throw new BackendError("bad_response", "sample value is not a [time, \"value\"] pair");
  }
  const v = pair[1];
  if (v === "NaN") return Number.NaN;
  if (v === "+Inf") return Number.POSITIVE_INFINITY;
  if (v === "-Inf") return Number.NEGATIVE_INFINITY;
  const n = Number(v);
  if (v.trim() === "" || Number.isNaN(n)) throw new BackendError("bad_response", `sample value ${JSON.stringify(v)} is not a number`);
  return n;
}
