// A real Prometheus 2.42 for tests: backfilled with deterministic history
// (cached, see tsdb.ts), started on a free loopback port, with a query log so
// tests can count the PromQL that actually reached it.
// With MESHQL_TEST_BACKEND=victoriametrics the same tests run against Debian's
// single-node VictoriaMetrics instead; a loopback proxy in front of it keeps
// the query log, which VictoriaMetrics does not write.

import { existsSync, readFileSync, rmSync, statSync } from "node:fs";
import { cp, mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { startPrometheusServer, startVictoriaMetricsServer, type PrometheusServer } from "../../src/demo/prometheus.ts";
import type { MeshFormat } from "../../src/demo/traffic/format.ts";
import type { TrafficModel } from "../../src/demo/traffic/model.ts";
import { backfill, type BackendKind, type BackfillSource, type BackfillStats } from "./tsdb.ts";
import { queryLoggingProxy } from "./query-proxy.ts";

/** The backend the tests run against: MESHQL_TEST_BACKEND, default prometheus. */
export const TEST_BACKEND: BackendKind = process.env.MESHQL_TEST_BACKEND === "victoriametrics" ? "victoriametrics" : "prometheus";

export interface StartPrometheusOptions {
  /** Deterministic history from a model, written by these formats over [start, end] every step seconds. */
  readonly model?: TrafficModel;
  readonly formats?: readonly MeshFormat[];
  readonly start?: number;
  readonly end?: number;
  readonly step?: number;
  /** Or raw OpenMetrics files to backfill instead of a model. */
  readonly openMetricsFiles?: readonly string[];
  /** Extra live scrape targets ("host:port"), scraped with honor_labels at path /metrics. */
  readonly scrapeTargets?: readonly string[];
  /** Scrape interval for scrapeTargets; default "1s". */
  readonly scrapeInterval?: string;
  readonly readyTimeoutMs?: number;
  /** Prometheus' --query.timeout (default 2m), for benches over large histories on slow machines. */
  readonly queryTimeout?: string;
}

export interface PrometheusInstance {
  /** Base URL, e.g. http://127.0.0.1:40123 */
  readonly url: string;
  readonly backfill: { readonly cached: boolean; readonly stats: BackfillStats } | null;
  /** PromQL strings evaluated (instant and range queries) since start or the last resetQueries(), in order. */
  queries(): string[];
  resetQueries(): void;
  /** Path of the query log (JSON lines; Prometheus adds each query's stats.timings), for benches that read evaluation times. */
  readonly queryLog: string;
  /** The tail of the server's own log, for diagnosing a failing test. */
  log(): string;
  stop(): Promise<void>;
}

export { freePort } from "../../src/demo/prometheus.ts";

/** Instance directories to remove if the process exits without stop(). */
const homes = new Set<string>();
process.on("exit", () => {
  for (const home of homes) rmSync(home, { recursive: true, force: true });
});

export async function startPrometheus(options: StartPrometheusOptions): Promise<PrometheusInstance> {
  if (TEST_BACKEND === "victoriametrics") return startVictoriaMetrics(options);
  const source = sourceOf(options);
  const filled = source ? await backfill(source) : null;

  const home = await mkdtemp(join(tmpdir(), "meshql-prometheus-"));
  if (!process.env.MESHQL_KEEP_PROMETHEUS) homes.add(home);
  const data = join(home, "data");
  if (filled) {
    // Prometheus writes into its data dir (WAL, lock): each instance gets a copy.
    await cp(filled.dir, data, { recursive: true, filter: (src) => !src.endsWith("backfill.json") });
  }
  const queryLog = join(home, "query.log");

  try {
    const server = await startPrometheusServer({
      home,
      dataDir: data,
      config: config(queryLog, options),
      readyTimeoutMs: options.readyTimeoutMs ?? 30_000,
      ...(options.queryTimeout ? { queryTimeout: options.queryTimeout } : {}),
    });
    return instance(server, home, queryLog, filled);
  } catch (e) {
    homes.delete(home);
    await rm(home, { recursive: true, force: true });
    throw e;
  }
}

async function startVictoriaMetrics(options: StartPrometheusOptions): Promise<PrometheusInstance> {
  if (options.scrapeTargets?.length)
    throw new Error("startPrometheus: live scrape targets need Prometheus (MESHQL_TEST_BACKEND=victoriametrics has none)");
  const source = sourceOf(options);
  const filled = source ? await backfill(source, "victoriametrics") : null;
  const home = await mkdtemp(join(tmpdir(), "meshql-victoria-"));
  if (!process.env.MESHQL_KEEP_PROMETHEUS) homes.add(home);
  const data = join(home, "data");
  if (filled) await cp(filled.dir, data, { recursive: true, filter: (src) => !src.endsWith("backfill.json") });
  const queryLog = join(home, "query.log");
  try {
    const server = await startVictoriaMetricsServer({ home, dataDir: data, readyTimeoutMs: options.readyTimeoutMs ?? 30_000 });
    const proxy = await queryLoggingProxy(server.url, queryLog);
    const proxied: PrometheusServer = {
      url: proxy.url,
      logTail: server.logTail,
      stop: async () => {
        await proxy.close();
        await server.stop();
      },
    };
    return instance(proxied, home, queryLog, filled);
  } catch (e) {
    homes.delete(home);
    await rm(home, { recursive: true, force: true });
    throw e;
  }
}

function sourceOf(o: StartPrometheusOptions): BackfillSource | null {
  if (o.openMetricsFiles && o.model) throw new Error("startPrometheus: give either a model or openMetricsFiles, not both");
  if (o.openMetricsFiles) return { openMetricsFiles: o.openMetricsFiles };
  if (!o.model) return null;
  if (!o.formats?.length || o.start === undefined || o.end === undefined || o.step === undefined) {
    throw new Error("startPrometheus: a model needs formats, start, end and step");
  }
  return { model: o.model, formats: o.formats, range: { start: o.start, end: o.end, step: o.step } };
}

function config(queryLog: string, o: StartPrometheusOptions): string {
  const lines = ["global:", "  scrape_interval: 10s", "  evaluation_interval: 1m", `  query_log_file: ${JSON.stringify(queryLog)}`];
  if (o.scrapeTargets?.length) {
    lines.push(
      "scrape_configs:",
      "  - job_name: traffic",
      "    honor_labels: true",
      `    scrape_interval: ${o.scrapeInterval ?? "1s"}`,
      `    scrape_timeout: ${o.scrapeInterval ?? "1s"}`,
      "    static_configs:",
      `      - targets: ${JSON.stringify(o.scrapeTargets)}`,
    );
  }
  return `${lines.join("\n")}\n`;
}

function instance(
  server: PrometheusServer,
  home: string,
  queryLog: string,
  filled: { cached: boolean; stats: BackfillStats } | null,
): PrometheusInstance {
  let offset = 0;
  let stopped: Promise<void> | null = null;
  return {
    url: server.url,
    backfill: filled ? { cached: filled.cached, stats: filled.stats } : null,
    queryLog,
    queries() {
      if (!existsSync(queryLog)) return [];
      const text = readFileSync(queryLog).subarray(offset).toString("utf8");
      const out: string[] = [];
      for (const line of text.split("\n")) {
        if (!line.trim()) continue;
        const entry = JSON.parse(line) as { params?: { query?: unknown } };
        if (typeof entry.params?.query === "string") out.push(entry.params.query);
      }
      return out;
    },
    resetQueries() {
      offset = existsSync(queryLog) ? statSync(queryLog).size : 0;
    },
    log: () => server.logTail(),
    stop() {
      stopped ??= (async () => {
        await server.stop();
        if (!process.env.MESHQL_KEEP_PROMETHEUS) await rm(home, { recursive: true, force: true });
        homes.delete(home);
      })();
      return stopped;
    },
  };
}
