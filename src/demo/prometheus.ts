// Runs Debian's prometheus and promtool binaries: backfill a TSDB from
// OpenMetrics, start a server on loopback, wait until it is ready, stop it.
// The demo and the test harness share it.

import { type ChildProcess, execFile, spawn } from "node:child_process";
import { existsSync } from "node:fs";
import { writeFile } from "node:fs/promises";
import { createServer } from "node:net";
import { join } from "node:path";
import { promisify } from "node:util";

const run = promisify(execFile);

export class MissingPrometheusError extends Error {
  override readonly name = "MissingPrometheusError";
  constructor(binary: string) {
    super(
      `${binary} is not installed. On Debian or Ubuntu: sudo apt-get update && sudo apt-get install -y --no-install-recommends prometheus (npm run demo and npm test install it when run as root)`,
    );
  }
}

const SEARCH_PATH = ["/usr/bin", "/usr/local/bin", "/bin"];

/** The path of a binary on PATH or in the usual places, or a MissingPrometheusError. */
export function findBinary(name: "prometheus" | "promtool"): string {
  const dirs = [...(process.env.PATH ?? "").split(":").filter(Boolean), ...SEARCH_PATH];
  for (const dir of dirs) {
    const path = join(dir, name);
    if (existsSync(path)) return path;
  }
  throw new MissingPrometheusError(name);
}

/** A TCP port that was free a moment ago on 127.0.0.1. */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => {
      const address = server.address();
      const port = typeof address === "object" && address ? address.port : 0;
      server.close(() => resolve(port));
    });
  });
}

/** Writes blocks into dataDir from an OpenMetrics file (`promtool tsdb create-blocks-from openmetrics`). */
export async function backfill(openMetricsFile: string, dataDir: string): Promise<void> {
  try {
    await run(findBinary("promtool"), ["tsdb", "create-blocks-from", "openmetrics", openMetricsFile, dataDir], {
      maxBuffer: 64 * 1024 * 1024,
    });
  } catch (e) {
    if (e instanceof MissingPrometheusError) throw e;
    const stderr = (e as { stderr?: string }).stderr ?? "";
    throw new Error(`promtool could not backfill ${openMetricsFile}: ${stderr.trim().split("\n").slice(-3).join(" ") || String(e)}`);
  }
}

export interface PrometheusOptions {
  /** prometheus.yml contents. */
  readonly config: string;
  readonly dataDir: string;
  /** Where prometheus.yml is written; default: beside dataDir, as `<dataDir>.prometheus.yml`. */
  readonly configPath?: string;
  readonly port?: number;
  readonly extraArgs?: readonly string[];
  readonly readyTimeoutMs?: number;
}

export interface PrometheusProcess {
  readonly url: string;
  readonly port: number;
  stop(): Promise<void>;
}

const running = new Set<ChildProcess>();
// Never leave a prometheus behind when the demo or a test process exits.
process.once("exit", () => {
  for (const child of running) child.kill("SIGKILL");
});

export async function startPrometheus(options: PrometheusOptions): Promise<PrometheusProcess> {
  const port = options.port ?? (await freePort());
  const configPath = options.configPath ?? `${options.dataDir}.prometheus.yml`;
  await writeFile(configPath, options.config);
  const child = spawn(
    findBinary("prometheus"),
    [
      `--config.file=${configPath}`,
      `--storage.tsdb.path=${options.dataDir}`,
      `--web.listen-address=127.0.0.1:${port}`,
      // Backfilled history may be old: keep it, whatever its age.
      "--storage.tsdb.retention.time=100y",
      ...(options.extraArgs ?? []),
    ],
    { stdio: ["ignore", "ignore", "pipe"] },
  );
  running.add(child);
  let stderr = "";
  child.stderr?.on("data", (chunk: Buffer) => {
    stderr = (stderr + chunk.toString()).slice(-4000);
  });
  const exited = new Promise<number | null>((resolve) => child.once("exit", (code) => resolve(code)));
  const stop = async (): Promise<void> => {
    if (child.exitCode === null && child.signalCode === null) {
      child.kill("SIGTERM");
      const timer = setTimeout(() => child.kill("SIGKILL"), 5000);
      await exited;
      clearTimeout(timer);
    }
    running.delete(child);
  };

  const url = `http://127.0.0.1:${port}`;
  const deadline = Date.now() + (options.readyTimeoutMs ?? 30_000);
  while (Date.now() < deadline) {
    if (child.exitCode !== null) break;
    try {
      const response = await fetch(`${url}/-/ready`, { signal: AbortSignal.timeout(1000) });
      if (response.ok) return { url, port, stop };
    } catch {
      // not listening yet
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  await stop();
  throw new Error(`prometheus did not become ready on port ${port}: ${stderr.trim().split("\n").slice(-3).join(" ")}`);
}
