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

/** Evaluation times of a range query: start, start + step, ... up to end. */
export interface QueryRange {
  readonly start: Date;
  readonly end: Date;
  readonly stepSeconds: number;
}

/** One series of a range answer: values at the range's steps, NaN where the series has no point. */
export interface RangeSeries {
  readonly labels: Readonly<Record<string, string>>;
  readonly values: Float64Array;
}

/** Time series, through /api/v1/query_range. */
export interface RangeQuerier {
  queryRange(promql: string, range: QueryRange): Promise<RangeSeries[]>;
}

/** The number of evaluation times in a range. */
export function rangeSteps(range: QueryRange): number {
  return Math.floor((range.end.getTime() - range.start.getTime()) / (range.stepSeconds * 1000)) + 1;
}

const DEFAULT_TIMEOUT_MS = 10_000;

export class PrometheusClient implements InstantQuerier, RangeQuerier {
  private readonly endpoint: URL;
  private readonly rangeEndpoint: URL;
  private readonly timeoutMs: number;

  constructor(private readonly options: PrometheusClientOptions) {
    const base = options.baseUrl.endsWith("/") ? options.baseUrl : `${options.baseUrl}/`;
    try {
      this.endpoint = new URL("api/v1/query", base);
      this.rangeEndpoint = new URL("api/v1/query_range", base);
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

  query(promql: string, at: Date): Promise<Sample[]> {
    return this.observed(promql, async (exchange) => {
      const { status, text } = await this.send(this.endpoint, { query: promql, time: unixSeconds(at) }, exchange);
      return parseQueryResponse(status, text);
    });
  }

  queryRange(promql: string, range: QueryRange): Promise<RangeSeries[]> {
    return this.observed(promql, async (exchange) => {
      const params = { query: promql, start: unixSeconds(range.start), end: unixSeconds(range.end), step: `${range.stepSeconds}` };
      const { status, text } = await this.send(this.rangeEndpoint, params, exchange);
      return parseRangeResponse(status, text, range);
    });
  }

  private async observed<T>(promql: string, run: (exchange: { status?: number }) => Promise<T>): Promise<T> {
    const started = performance.now();
    let outcome: "ok" | BackendError["kind"] = "ok";
    let error: unknown;
    const exchange: { status?: number } = {};
    try {
      return await run(exchange);
    } catch (e) {
      outcome = e instanceof BackendError ? e.kind : "bad_response";
      error = e;
      throw e;
    } finally {
      const seconds = (performance.now() - started) / 1000;
      this.options.observer?.({ query: promql, seconds, outcome, ...(outcome === "ok" ? {} : { error }), ...(exchange.status === undefined ? {} : { httpStatus: exchange.status }) });
    }
  }

  private async send(endpoint: URL, params: Record<string, string>, exchange: { status?: number }): Promise<{ status: number; text: string }> {
    const body = new URLSearchParams({ ...params, timeout: `${Math.max(1, Math.floor(this.timeoutMs / 1000))}s` });
    let response: Response;
    let text: string;
    try {
      response = await fetch(endpoint, {
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
    return { status: response.status, text };
  }
}

const unixSeconds = (d: Date): string => (d.getTime() / 1000).toFixed(3);

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
  const { resultType, result } = parseEnvelope(status, text);
  if (resultType === "scalar") return [{ labels: {}, value: parseValue(result) }];
  if (resultType !== "vector" || !Array.isArray(result)) {
    throw new BackendError("bad_response", `expected a vector result, got ${String(resultType)}`);
  }
  return result.map((item: unknown) => {
    const { metric, value } = (item ?? {}) as { metric?: unknown; value?: unknown };
    return { labels: labelsOf(metric), value: parseValue(value) };
  });
}

/** Parses a /api/v1/query_range answer into one value per step of the range (NaN where a series has no point). */
export function parseRangeResponse(status: number, text: string, range: QueryRange): RangeSeries[] {
  const { resultType, result } = parseEnvelope(status, text);
  if (resultType !== "matrix" || !Array.isArray(result)) {
    throw new BackendError("bad_response", `expected a matrix result, got ${String(resultType)}`);
  }
  const steps = rangeSteps(range);
  const startMs = range.start.getTime();
  const stepMs = range.stepSeconds * 1000;
  return result.map((item: unknown) => {
    const { metric, values } = (item ?? {}) as { metric?: unknown; values?: unknown };
    if (!Array.isArray(values)) throw new BackendError("bad_response", "matrix series without values");
    const out = new Float64Array(steps).fill(Number.NaN);
    for (const pair of values) {
      const t = Array.isArray(pair) ? Number(pair[0]) * 1000 : Number.NaN;
      const i = Math.round((t - startMs) / stepMs);
      if (!(i >= 0 && i < steps)) throw new BackendError("bad_response", `matrix point at ${String(Array.isArray(pair) ? pair[0] : pair)} is outside the range`);
      out[i] = parseValue(pair);
    }
    return { labels: labelsOf(metric), values: out };
  });
}

function labelsOf(metric: unknown): Record<string, string> {
  if (typeof metric !== "object" || metric === null) throw new BackendError("bad_response", "sample without labels");
  return metric as Record<string, string>;
}

function parseEnvelope(status: number, text: string): { resultType?: unknown; result?: unknown } {
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
  return body.data;
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
