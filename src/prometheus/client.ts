// Prometheus HTTP API client: instant and range queries, POSTed form-encoded
// with explicit evaluation times. Works against any Prometheus-compatible backend.

import { type ByteBudget, readLimited } from "./body.ts";
import { decodeVector, sampleNumber } from "./decode.ts";
import { BackendError } from "./errors.ts";

export interface Sample {
  readonly labels: Readonly<Record<string, string>>;
  /** May be NaN or ±Infinity, as Prometheus can answer those. */
  readonly value: number;
}

/** Called once per query that was sent to the backend; a failure brings its error and, if one came, the HTTP status. */
export type QueryObserver = (event: {
  query: string;
  seconds: number;
  outcome: "ok" | BackendError["kind"];
  error?: unknown;
  httpStatus?: number;
}) => void;

export interface PrometheusClientOptions {
  readonly baseUrl: string;
  /** Per-query timeout, sent to the backend too so it stops working on our behalf. */
  readonly timeoutMs?: number;
  readonly headers?: Readonly<Record<string, string>>;
  /**
   * Ask for gzip answers (for a slow link to the backend). Off:
   * `Accept-Encoding: identity`, which fetch would otherwise not send.
   */
  readonly compression?: boolean;
  readonly observer?: QueryObserver;
  /** Most bytes one answer may have; past it reading stops with a bad_response (default 64 MiB). */
  readonly maxResponseBytes?: number;
  /** Shared by every client of a gateway: bytes of answers being read at once, all queries together. */
  readonly inFlight?: ByteBudget;
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
export const DEFAULT_MAX_RESPONSE_BYTES = 64 * 1024 * 1024;

export class PrometheusClient implements InstantQuerier, RangeQuerier {
  private readonly endpoint: URL;
  private readonly rangeEndpoint: URL;
  private readonly timeoutMs: number;
  /** The base URL as it may be shown: no credentials, query or fragment. */
  private readonly shownUrl: string;
  private readonly basicAuth: string | null = null;

  constructor(private readonly options: PrometheusClientOptions) {
    const base = options.baseUrl.endsWith("/") ? options.baseUrl : `${options.baseUrl}/`;
    try {
      this.endpoint = new URL("api/v1/query", base);
    } catch {
      throw new Error(`invalid Prometheus URL ${JSON.stringify(options.baseUrl)}`);
    }
    // fetch refuses URLs with credentials: send them as basic authentication instead.
    if (this.endpoint.username || this.endpoint.password) {
      const user = `${decodeURIComponent(this.endpoint.username)}:${decodeURIComponent(this.endpoint.password)}`;
      this.basicAuth = `Basic ${Buffer.from(user).toString("base64")}`;
      this.endpoint.username = "";
      this.endpoint.password = "";
    }
    this.rangeEndpoint = new URL("query_range", this.endpoint);
    if (!/^https?:$/.test(this.endpoint.protocol)) throw new Error(`Prometheus URL must be http or https: ${options.baseUrl}`);
    this.timeoutMs = options.timeoutMs ?? DEFAULT_TIMEOUT_MS;
    this.shownUrl = withoutCredentials(options.baseUrl);
  }

  get url(): string {
    return this.options.baseUrl;
  }

  /** Resolves when the backend answers a trivial query; rejects with a BackendError otherwise. */
  async ping(): Promise<void> {
    await this.query("vector(1)", new Date());
  }

  query(promql: string, at: Date): Promise<Sample[]> {
    return this.observed(promql, (exchange) =>
      this.send(this.endpoint, { query: promql, time: unixSeconds(at) }, exchange, (status, text) => parseQueryResponse(status, text)),
    );
  }

  queryRange(promql: string, range: QueryRange): Promise<RangeSeries[]> {
    const params = { query: promql, start: unixSeconds(range.start), end: unixSeconds(range.end), step: `${range.stepSeconds}` };
    return this.observed(promql, (exchange) =>
      this.send(this.rangeEndpoint, params, exchange, (status, text) => parseRangeResponse(status, text, range)),
    );
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
      this.options.observer?.({
        query: promql,
        seconds,
        outcome,
        ...(outcome === "ok" ? {} : { error }),
        ...(exchange.status === undefined ? {} : { httpStatus: exchange.status }),
      });
    }
  }

  private async send<T>(
    endpoint: URL,
    params: Record<string, string>,
    exchange: { status?: number },
    parse: (status: number, text: string) => T,
  ): Promise<T> {
    const body = new URLSearchParams({ ...params, timeout: `${Math.max(1, Math.floor(this.timeoutMs / 1000))}s` });
    // One signal for the whole exchange: the timeout, or our own abort when the answer is too big.
    // A timer, not AbortSignal.any(AbortSignal.timeout()): Node 20 may collect that timeout signal
    // before it fires, and a stalled backend then holds the query for fetch's own 300 s.
    const stop = new AbortController();
    const timer = setTimeout(() => stop.abort(new DOMException(`no answer within ${this.timeoutMs} ms`, "TimeoutError")), this.timeoutMs);
    try {
      return await this.exchange(endpoint, body, stop, exchange, parse);
    } finally {
      clearTimeout(timer);
    }
  }

  private async exchange<T>(
    endpoint: URL,
    body: URLSearchParams,
    stop: AbortController,
    exchange: { status?: number },
    parse: (status: number, text: string) => T,
  ): Promise<T> {
    const signal = stop.signal;
    let response: Response;
    try {
      response = await fetch(endpoint, {
        method: "POST",
        headers: {
          "content-type": "application/x-www-form-urlencoded",
          accept: "application/json",
          ...(this.options.compression ? {} : { "accept-encoding": "identity" }),
          ...(this.basicAuth ? { authorization: this.basicAuth } : {}),
          ...this.options.headers,
        },
        body,
        signal,
      });
      exchange.status = response.status;
    } catch (e) {
      throw this.transportError(e);
    }
    const misconfigured = misconfiguredStatus(response.status);
    if (misconfigured) {
      stop.abort();
      throw new BackendError("misconfigured", `${this.describe(response.status)}: ${misconfigured}`);
    }
    // Prometheus answers JSON, errors included; a 2xx-4xx page of another type is some other service.
    const type = response.headers.get("content-type");
    if (type && !/json/i.test(type) && response.status < 500) {
      stop.abort();
      throw new BackendError(
        "misconfigured",
        `${this.describe(response.status)} with ${type.split(";")[0]}, which is not a Prometheus API answer`,
      );
    }
    const limit = this.options.maxResponseBytes ?? DEFAULT_MAX_RESPONSE_BYTES;
    let text: string;
    try {
      text = await readLimited(response, limit, this.options.inFlight ?? null, stop);
    } catch (e) {
      throw e instanceof BackendError ? e : this.transportError(e);
    }
    try {
      return parse(response.status, text);
    } catch (e) {
      // An answer that is not Prometheus' at all: the URL points elsewhere (a UI, a login page).
      if (e instanceof NotPrometheusError && response.status < 500) {
        throw new BackendError("misconfigured", `${this.describe(response.status)} that is not a Prometheus API answer (${e.message})`);
      }
      throw e;
    }
  }

  private transportError(e: unknown): BackendError {
    const name = (e as { name?: string }).name;
    if (name === "TimeoutError" || name === "AbortError") {
      return new BackendError("timeout", `backend did not answer within ${this.timeoutMs} ms`, { cause: e });
    }
    return new BackendError("unreachable", `backend at ${this.shownUrl} is unreachable: ${causeText(e)}`, { cause: e });
  }

  private describe(status: number): string {
    return `the metrics backend at ${this.shownUrl} answered HTTP ${status} to ${this.endpoint.pathname}`;
  }
}

const unixSeconds = (d: Date): string => (d.getTime() / 1000).toFixed(3);

/** Statuses that say the URL or the credentials are wrong, not that the backend is down. */
function misconfiguredStatus(status: number): string | null {
  if (status === 401 || status === 407) return "authentication is required (check the backend's credentials)";
  if (status === 403) return "access is forbidden (check the backend's credentials)";
  if (status === 404 || status === 405) return "there is no Prometheus query API there (check --prometheus-url)";
  return null;
}

export function withoutCredentials(url: string): string {
  try {
    const u = new URL(url);
    u.username = "";
    u.password = "";
    u.search = "";
    u.hash = "";
    return u.href;
  } catch {
    return "(an invalid URL)";
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

/** A bad_response that is JSON without a Prometheus envelope at all: likely not a Prometheus API. */
export class NotPrometheusError extends BackendError {
  constructor(message: string) {
    super("bad_response", message);
  }
}

/** Parses a /api/v1/query answer; anything not of the documented shape is a bad_response. */
export function parseQueryResponse(status: number, text: string): Sample[] {
  const compact = status === 200 ? decodeVector(text) : null;
  if (compact) return compact;
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
      if (!(i >= 0 && i < steps))
        throw new BackendError("bad_response", `matrix point at ${String(Array.isArray(pair) ? pair[0] : pair)} is outside the range`);
      out[i] = parseValue(pair);
    }
    return { labels: labelsOf(metric), values: out };
  });
}

function labelsOf(metric: unknown): Record<string, string> {
  if (typeof metric !== "object" || metric === null) throw new BackendError("bad_response", "sample without labels");
  return metric as Record<string, string>;
}

/** The data of a success envelope; a typed BackendError for anything else. */
function parseEnvelope(status: number, text: string): { resultType?: unknown; result?: unknown } {
  let body: ApiEnvelope;
  try {
    body = JSON.parse(text) as ApiEnvelope;
  } catch {
    throw new BackendError("bad_response", `backend answered HTTP ${status} with a body that is not JSON`);
  }
  if (typeof body !== "object" || body === null || (body.status !== "success" && body.status !== "error")) {
    throw new NotPrometheusError(`backend answered HTTP ${status} with JSON that has no Prometheus status`);
  }
  if (body.status === "error") {
    const message = `${String(body.errorType ?? "error")}: ${String(body.error ?? "")}`;
    if (body.errorType === "timeout" || body.errorType === "canceled") throw new BackendError("timeout", `backend ${message}`);
    if (body.errorType === "bad_data" || status === 400 || status === 422)
      throw new BackendError("bad_query", `backend rejected the query: ${message}`);
    throw new BackendError("bad_response", `backend error (HTTP ${status}) ${message}`);
  }
  if (status !== 200 || !body.data) {
    throw new BackendError("bad_response", `backend answered HTTP ${status} without a success envelope`);
  }
  return body.data;
}

function parseValue(pair: unknown): number {
  if (!Array.isArray(pair) || pair.length !== 2 || typeof pair[1] !== "string") {
    throw new BackendError("bad_response", 'sample value is not a [time, "value"] pair');
  }
  const n = sampleNumber(pair[1]);
  if (n === null) throw new BackendError("bad_response", `sample value ${JSON.stringify(pair[1])} is not a number`);
  return n;
}
