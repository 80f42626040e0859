// A real Prometheus 2.42 for tests: backfilled with deterministic history
// (cached, see tsdb.ts), started on a free loopback port, with a query log so
// tests can count the PromQL that actually reached it.

import { spawn, type ChildProcess } from "node:child_process";
import { existsSync, readFileSync, rmSync, statSync } from "node:fs";
import { cp, mkdtemp, rm, writeFile } from "node:fs/promises";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { MeshFormat } from "../../src/traffic/format.ts";
import type { TrafficModel } from "../../src/traffic/model.ts";
import { findBinary } from "./binaries.ts";
import { backfill, type BackfillSource, type BackfillStats } from "./tsdb.ts";

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
}

export interface PrometheusInstance {
  /** Base URL, e.g. http://127.0.0.1:40123 */
  readonly url: string;
  readonly backfill: { readonly cached: boolean; readonly stats: BackfillStats } | null;
  /** PromQL strings evaluated (instant and range queries) since start or the last resetQueries(), in order. */
  queries(): string[];
  resetQueries(): void;
  /** The tail of the server's own log, for diagnosing a failing test. */
  log(): string;
  stop(): Promise<void>;
}

/** A loopback port that was free a moment ago. */
export function freePort(host = "127.0.0.1"): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.unref();
    server.once("error", reject);
    server.listen(0, host, () => {
      const address = server.address();
      const port = typeof address === "object" && address ? address.port : 0;
      server.close(() => resolve(port));
    });
  });
}

// The server runs under a tiny shell that kills it when our end of its stdin
// closes: on stop(), and also when this process dies without running its
// exit handlers (SIGKILL, a crashed test runner).
const WRAPPER = [
  'log="$1"; shift',
  '"$@" >"$log" 2>&1 &',
  "pid=$!",
  'echo "$pid"',
  "trap 'kill -TERM $pid 2>/dev/null; exit 143' TERM INT HUP",
  "while read -r _; do :; done",
  'kill -TERM "$pid" 2>/dev/null',
  'wait "$pid"',
].join("\n");

const running = new Set<number>();
/** Instance directories to remove if the process exits without stop(). */
const homes = new Set<string>();
let exitHookInstalled = false;

function installExitHook(): void {
  if (exitHookInstalled) return;
  exitHookInstalled = true;
  process.on("exit", () => {
    for (const pid of running) {
      try {
        process.kill(pid, "SIGKILL");
      } catch {
        // already gone
      }
    }
    for (const home of homes) rmSync(home, { recursive: true, force: true });
  });
}

export async function startPrometheus(options: StartPrometheusOptions): Promise<PrometheusInstance> {
  const prometheus = findBinary("prometheus");
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
  await writeFile(join(home, "prometheus.yml"), config(queryLog, options));

  let lastError: unknown;
  for (let attempt = 0; attempt < 3; attempt++) {
    const port = await freePort();
    try {
      const server = await launch(prometheus, home, data, port, options.readyTimeoutMs ?? 30_000);
      return instance(server, `http://127.0.0.1:${port}`, home, queryLog, filled);
    } catch (e) {
      lastError = e;
      // Another process took the port between freePort() and the bind: try another.
      if (!String((e as Error).message).includes("address already in use")) break;
    }
  }
  await rm(home, { recursive: true, force: true });
  throw lastError;
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
  return lines.join("\n") + "\n";
}

interface Server {
  readonly child: ChildProcess;
  readonly pid: number;
  readonly logFile: string;
}

async function launch(binary: string, home: string, data: string, port: number, timeoutMs: number): Promise<Server> {
  installExitHook();
  const logFile = join(home, `prometheus-${port}.log`);
  const args = [
    `--config.file=${join(home, "prometheus.yml")}`,
    `--storage.tsdb.path=${data}`,
    // Retention counts back from the newest block; keep old backfilled blocks whatever their age.
    "--storage.tsdb.retention.time=100y",
    `--web.listen-address=127.0.0.1:${port}`,
    "--web.enable-lifecycle",
    "--log.level=warn",
  ];
  const child = spawn("/bin/sh", ["-c", WRAPPER, "sh", logFile, binary, ...args], { stdio: ["pipe", "pipe", "inherit"] });
  const pid = await new Promise<number>((resolve, reject) => {
    let out = "";
    child.stdout!.on("data", (d: Buffer) => {
      out += d.toString();
      const line = out.split("\n")[0];
      if (out.includes("\n") && line) resolve(Number(line));
    });
    child.once("error", reject);
    child.once("exit", () => reject(new Error("prometheus wrapper exited before starting the server")));
  });
  running.add(pid);
  // A forgotten stop() must not keep the test process alive; the exit hook kills the server.
  child.stdout!.destroy();
  child.unref();
  (child.stdin as unknown as { unref?: () => void }).unref?.();
  const server: Server = { child, pid, logFile };
  const deadline = Date.now() + timeoutMs;
  const url = `http://127.0.0.1:${port}/-/ready`;
  while (Date.now() < deadline) {
    if (child.exitCode !== null || !alive(pid)) {
      await terminate(server);
      throw new Error(`prometheus exited during startup: ${tail(logFile)}`);
    }
    try {
      const res = await fetch(url, { signal: AbortSignal.timeout(1000) });
      if (res.ok) return server;
    } catch {
      // not listening yet
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  await terminate(server);
  throw new Error(`prometheus was not ready within ${timeoutMs} ms: ${tail(logFile)}`);
}

function alive(pid: number): boolean {
  // A server that died under the wrapper stays a zombie until the wrapper reaps it.
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
    return stat.slice(stat.lastIndexOf(")") + 2, stat.lastIndexOf(")") + 3) !== "Z";
  } catch {
    // no /proc entry: gone, or not Linux
  }
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

function tail(file: string): string {
  try {
    return readFileSync(file, "utf8").trim().split("\n").slice(-15).join("\n");
  } catch {
    return "(no log)";
  }
}

async function terminate(server: Server): Promise<void> {
  const exited = new Promise<void>((resolve) => {
    if (server.child.exitCode !== null || server.child.signalCode !== null) resolve();
    else server.child.once("exit", () => resolve());
  });
  server.child.stdin?.end();
  const timer = setTimeout(() => {
    for (const pid of [server.pid, server.child.pid]) {
      try {
        if (pid) process.kill(pid, "SIGKILL");
      } catch {
        // gone
      }
    }
  }, 5000);
  await exited;
  clearTimeout(timer);
  // The wrapper waited for the server; make sure even so.
  for (let i = 0; i < 50 && alive(server.pid); i++) await new Promise((r) => setTimeout(r, 100));
  if (alive(server.pid)) process.kill(server.pid, "SIGKILL");
  running.delete(server.pid);
}

function instance(
  server: Server,
  url: string,
  home: string,
  queryLog: string,
  filled: { cached: boolean; stats: BackfillStats } | null,
): PrometheusInstance {
  let offset = 0;
  let stopped: Promise<void> | null = null;
  return {
    url,
    backfill: filled ? { cached: filled.cached, stats: filled.stats } : null,
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
    log: () => tail(server.logFile),
    stop() {
      stopped ??= (async () => {
        await terminate(server);
        if (!process.env.MESHQL_KEEP_PROMETHEUS) await rm(home, { recursive: true, force: true });
        homes.delete(home);
      })();
      return stopped;
    },
  };
}
