// Runs Debian's prometheus and promtool binaries: backfill blocks from
// OpenMetrics, start a server on a loopback port, wait until it is ready, stop
// it. `meshql demo` and the test harness share this.

import { execFile, spawn, type ChildProcess } from "node:child_process";
import { accessSync, constants, readFileSync } from "node:fs";
import { mkdir, writeFile } from "node:fs/promises";
import { createServer } from "node:net";
import { delimiter, join } from "node:path";
import { promisify } from "node:util";

const run = promisify(execFile);

export class MissingPrometheusError extends Error {
  override readonly name = "MissingPrometheusError";
}

/** A binary from an env override (PROMETHEUS, PROMTOOL), /usr/bin or PATH; throws how to install it. */
export function findBinary(name: "prometheus" | "promtool" | "victoria-metrics"): string {
  const override = process.env[name.toUpperCase().replace("-", "_")];
  const candidates = override
    ? [override]
    : [
        join("/usr/bin", name),
        ...(process.env.PATH ?? "")
          .split(delimiter)
          .filter(Boolean)
          .map((d) => join(d, name)),
      ];
  for (const path of candidates) {
    try {
      accessSync(path, constants.X_OK);
      return path;
    } catch {
      // try the next one
    }
  }
  throw new MissingPrometheusError(
    `${name} is not installed. On Debian or Ubuntu: sudo apt-get update && sudo apt-get install -y --no-install-recommends ` +
      `${name === "victoria-metrics" ? name : "prometheus"} (npm run demo and npm test do this themselves when run as root)`,
  );
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

/** `promtool tsdb create-blocks-from openmetrics`; its error output becomes the error message. */
export async function createBlocks(file: string, outDir: string, signal?: AbortSignal): Promise<void> {
  const promtool = findBinary("promtool");
  await mkdir(outDir, { recursive: true });
  try {
    await run(promtool, ["tsdb", "create-blocks-from", "openmetrics", file, outDir], {
      maxBuffer: 64 * 1024 * 1024,
      ...(signal ? { signal } : {}),
    });
  } catch (e) {
    if (signal?.aborted) throw signal.reason;
    const err = e as { stderr?: string; stdout?: string; message: string };
    throw new Error(`promtool rejected ${file}: ${(err.stderr || err.stdout || err.message).trim().slice(0, 2000)}`);
  }
}

export interface PrometheusServerOptions {
  /** A folder of this server's own: its config and log go there. */
  readonly home: string;
  readonly dataDir: string;
  /** prometheus.yml contents. */
  readonly config: string;
  readonly readyTimeoutMs?: number;
  /** Longest a query may evaluate (Prometheus' --query.timeout); default 2m. */
  readonly queryTimeout?: string;
}

export interface PrometheusServer {
  /** Base URL, e.g. http://127.0.0.1:40123 */
  readonly url: string;
  /** The last lines of the server's log, for error messages. */
  logTail(): string;
  stop(): Promise<void>;
}

// The server runs under a tiny shell that kills it when our end of its stdin
// closes: on stop(), and also when this process dies without running its exit
// handlers (SIGKILL, a crashed test runner).
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
  });
}

/** Starts prometheus on a free loopback port (another is tried if the port is taken meanwhile). */
export async function startPrometheusServer(options: PrometheusServerOptions): Promise<PrometheusServer> {
  const binary = findBinary("prometheus");
  const configFile = join(options.home, "prometheus.yml");
  await writeFile(configFile, options.config);
  let lastError: unknown;
  for (let attempt = 0; attempt < 3; attempt++) {
    const port = await freePort();
    try {
      return await launch(binary, prometheusArgs(options, configFile, port), port, "/-/ready", options);
    } catch (e) {
      lastError = e;
      if (!String((e as Error).message).includes("address already in use")) break;
    }
  }
  throw lastError;
}

interface Child {
  readonly child: ChildProcess;
  readonly pid: number;
}

function prometheusArgs(options: PrometheusServerOptions, configFile: string, port: number): string[] {
  return [
    `--config.file=${configFile}`,
    `--storage.tsdb.path=${options.dataDir}`,
    // Retention counts back from the newest block; keep old backfilled blocks whatever their age.
    "--storage.tsdb.retention.time=100y",
    `--web.listen-address=127.0.0.1:${port}`,
    "--log.level=warn",
    ...(options.queryTimeout ? [`--query.timeout=${options.queryTimeout}`] : []),
  ];
}

/** Labels VictoriaMetrics keeps per series; see docs/backends.md. */
export const VICTORIA_MAX_LABELS = 64;

/**
 * Starts Debian's single-node victoria-metrics on a free loopback port: the
 * second Prometheus-compatible backend the tests run against.
 */
export async function startVictoriaMetricsServer(
  options: Omit<PrometheusServerOptions, "config"> & { readonly maxLabelsPerTimeseries?: number },
): Promise<PrometheusServer> {
  const binary = findBinary("victoria-metrics");
  const port = await freePort();
  const args = [
    `-storageDataPath=${options.dataDir}`,
    `-httpListenAddr=127.0.0.1:${port}`,
    // Backfilled history is weeks old: keep it whatever its age.
    "-retentionPeriod=100y",
    // Answers must reflect all imported data, never a cached partial one.
    "-search.disableCache",
    // The default (30) silently drops the labels past the 30th at ingestion: Istio's
    // series carry more (response_code, connection_security_policy, le among the lost).
    `-maxLabelsPerTimeseries=${options.maxLabelsPerTimeseries ?? VICTORIA_MAX_LABELS}`,
    "-loggerLevel=WARN",
  ];
  return launch(binary, args, port, "/health", options);
}

async function launch(
  binary: string,
  args: readonly string[],
  port: number,
  readyPath: string,
  options: { home: string; readyTimeoutMs?: number },
): Promise<PrometheusServer> {
  installExitHook();
  const logFile = join(options.home, `${binary.split("/").pop()}-${port}.log`);
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
  // A forgotten stop() must not keep this process alive; the exit hook kills the server.
  child.stdout!.destroy();
  child.unref();
  (child.stdin as unknown as { unref?: () => void }).unref?.();
  const proc: Child = { child, pid };
  const logTail = (): string => tail(logFile);
  const url = `http://127.0.0.1:${port}`;
  const deadline = Date.now() + (options.readyTimeoutMs ?? 30_000);
  while (Date.now() < deadline) {
    if (child.exitCode !== null || !alive(pid)) {
      await terminate(proc);
      throw new Error(`${binary} exited during startup: ${logTail()}`);
    }
    try {
      const res = await fetch(`${url}${readyPath}`, { signal: AbortSignal.timeout(1000) });
      if (res.ok) {
        let stopped: Promise<void> | null = null;
        return { url, logTail, stop: () => (stopped ??= terminate(proc)) };
      }
    } catch {
      // not listening yet
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  await terminate(proc);
  throw new Error(`${binary} was not ready within ${options.readyTimeoutMs ?? 30_000} ms: ${logTail()}`);
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

async function terminate(proc: Child): Promise<void> {
  const exited = new Promise<void>((resolve) => {
    if (proc.child.exitCode !== null || proc.child.signalCode !== null) resolve();
    else proc.child.once("exit", () => resolve());
  });
  proc.child.stdin?.end();
  const timer = setTimeout(() => {
    for (const pid of [proc.pid, proc.child.pid]) {
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
  for (let i = 0; i < 50 && alive(proc.pid); i++) await new Promise((r) => setTimeout(r, 100));
  if (alive(proc.pid)) process.kill(proc.pid, "SIGKILL");
  running.delete(proc.pid);
}
