// Backfilled TSDBs, built once with promtool (or imported into VictoriaMetrics)
// and cached under .tmp/tsdb by a
// hash of everything that determines their content (the topology, formats,
// range, and the generator's own source), so repeated test runs are fast.

import { execFile } from "node:child_process";
import { createHash } from "node:crypto";
import { createReadStream, existsSync, readdirSync, readFileSync } from "node:fs";
import { createInterface } from "node:readline";
import { mkdir, mkdtemp, readdir, readFile, rename, rm, stat, writeFile } from "node:fs/promises";
import { availableParallelism, tmpdir } from "node:os";
import { join, relative } from "node:path";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import type { MeshFormat } from "../../src/demo/traffic/format.ts";
import type { TrafficModel } from "../../src/demo/traffic/model.ts";
import { writeOpenMetricsShards, type HistoryRange } from "../../src/demo/traffic/openmetrics.ts";
import { createBlocks, startVictoriaMetricsServer } from "../../src/demo/prometheus.ts";

const run = promisify(execFile);

export const REPO_ROOT = fileURLToPath(new URL("../../", import.meta.url));
export const CACHE_ROOT = join(REPO_ROOT, ".tmp", "tsdb");
const TRAFFIC_SRC = join(REPO_ROOT, "src", "demo", "traffic");
/** The generator's mesh-independent modules. */
const CORE_FILES = ["counters.ts", "format.ts", "latency.ts", "model.ts", "names.ts", "openmetrics.ts", "series.ts"];
/** Bump when the cache layout or the backfill procedure changes. */
const CACHE_VERSION = 3;
/** Bump when VictoriaMetrics' ingestion changes (its flags decide what it stores), leaving Prometheus' cache valid. */
const VICTORIA_CACHE_VERSION = 2;
/**
 * Series per OpenMetrics file: large models (1,000 Deployments and more) become several files,
 * backfilled in parallel; test topologies stay one block.
 */
const SERIES_PER_FILE = 50_000;
const META_FILE = "backfill.json";
const STALE_LOCK_MS = 10 * 60 * 1000;

export type BackfillSource =
  | { readonly model: TrafficModel; readonly formats: readonly MeshFormat[]; readonly range: HistoryRange }
  | { readonly openMetricsFiles: readonly string[] };

export interface BackfillStats {
  /** Size of the OpenMetrics text fed to promtool. */
  readonly openMetricsBytes: number;
  readonly samples: number | null;
  readonly series: number | null;
  /** Generating the OpenMetrics text. */
  readonly writeSeconds: number;
  /** promtool time left after the last file was written (promtool runs alongside the writer). */
  readonly promtoolSeconds: number;
  /** Size of the resulting TSDB blocks. */
  readonly tsdbBytes: number;
}

export interface Backfill {
  /** The cached TSDB directory (read-only: copy it before starting Prometheus on it). */
  readonly dir: string;
  readonly cached: boolean;
  readonly stats: BackfillStats;
}

export function cacheKey(source: BackfillSource): string {
  const h = createHash("sha256");
  h.update(`v${CACHE_VERSION}\n`);
  if ("openMetricsFiles" in source) {
    for (const file of source.openMetricsFiles) h.update(readFileSync(file)).update("\n--\n");
  } else {
    h.update(JSON.stringify({ spec: source.model.spec, formats: source.formats.map((f) => f.name), range: source.range }));
    // The generator's code decides the content as much as the inputs do: its
    // core and each writer's own file (other writers' edits leave the entry valid).
    const declared = source.formats.map((f) => f.source);
    const files = declared.every((u): u is string => typeof u === "string")
      ? [...CORE_FILES.map((f) => join(TRAFFIC_SRC, f)), ...declared.map((u) => fileURLToPath(u))]
      : readdirSync(TRAFFIC_SRC)
          .filter((f) => f.endsWith(".ts"))
          .sort()
          .map((f) => join(TRAFFIC_SRC, f));
    for (const file of files) h.update(relative(REPO_ROOT, file)).update(readFileSync(file));
  }
  return h.digest("hex").slice(0, 24);
}

/** Which server the stored data is for: Prometheus TSDB blocks, or a VictoriaMetrics storage directory. */
export type BackendKind = "prometheus" | "victoriametrics";

/** The TSDB for a source, from the cache or freshly backfilled. Safe across concurrent test processes. */
export async function backfill(source: BackfillSource, backend: BackendKind = "prometheus"): Promise<Backfill> {
  const key = cacheKey(source);
  const dir = join(CACHE_ROOT, backend === "prometheus" ? key : `vm${VICTORIA_CACHE_VERSION}-${key}`);
  await mkdir(CACHE_ROOT, { recursive: true });
  const lock = `${dir}.lock`;
  for (;;) {
    const hit = await readMeta(dir);
    if (hit) return { dir, cached: true, stats: hit };
    try {
      await mkdir(lock);
      break;
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== "EEXIST") throw e;
      // Another test process is building it: wait, unless its lock is abandoned.
      const age = await stat(lock).then(
        (s) => Date.now() - s.mtimeMs,
        () => 0,
      );
      if (age > STALE_LOCK_MS) await rm(lock, { recursive: true, force: true });
      await new Promise((r) => setTimeout(r, 250));
    }
  }
  try {
    const hit = await readMeta(dir);
    if (hit) return { dir, cached: true, stats: hit };
    const stats = await build(source, dir, backend);
    return { dir, cached: false, stats };
  } finally {
    await rm(lock, { recursive: true, force: true });
  }
}

async function readMeta(dir: string): Promise<BackfillStats | null> {
  try {
    return JSON.parse(await readFile(join(dir, META_FILE), "utf8")) as BackfillStats;
  } catch {
    return null;
  }
}

async function build(source: BackfillSource, dir: string, backend: BackendKind): Promise<BackfillStats> {
  const work = await mkdtemp(join(tmpdir(), "meshql-backfill-"));
  const out = join(work, "tsdb");
  const victoria = backend === "victoriametrics" ? await startVictoriaMetricsServer({ home: work, dataDir: out }) : null;
  try {
    let openMetricsBytes = 0;
    let samples: number | null = null;
    let series: number | null = null;
    const started = performance.now();
    // promtool runs on each finished file while the next one is written, at most one per CPU;
    // each writes its own directory, whose blocks then join the others (Prometheus merges overlapping blocks).
    const pool = new Pool(availableParallelism());
    const parts: string[] = [];
    const backfillFile = (file: string, remove: boolean) =>
      pool.run(async () => {
        if (victoria) {
          await importOpenMetrics(victoria.url, file);
        } else {
          const part = join(work, `part-${parts.length}`);
          parts.push(part);
          await createBlocks(file, part);
        }
        if (remove) await rm(file, { force: true });
      });
    if ("openMetricsFiles" in source) {
      for (const f of source.openMetricsFiles) {
        openMetricsBytes += (await stat(f)).size;
        await backfillFile(f, false);
      }
    } else {
      const written = await writeOpenMetricsShards(
        (i) => join(work, `history-${i}.om`),
        SERIES_PER_FILE,
        source.model,
        source.formats,
        source.range,
        (file) => backfillFile(file, true),
      );
      openMetricsBytes = written.bytes;
      samples = written.samples;
      series = written.series;
    }
    const writeSeconds = (performance.now() - started) / 1000;
    await pool.drain();
    const promtoolSeconds = (performance.now() - started) / 1000 - writeSeconds;
    if (victoria) {
      // Make everything imported visible to searches and durable on disk before the copy.
      const flushed = await fetch(`${victoria.url}/internal/force_flush`);
      if (!flushed.ok) throw new Error(`victoria-metrics force_flush: ${flushed.status}`);
      await victoria.stop();
    }
    await mkdir(out, { recursive: true });
    for (const part of parts) {
      for (const block of await readdir(part)) await rename(join(part, block), join(out, block));
    }
    const stats: BackfillStats = {
      openMetricsBytes,
      samples,
      series,
      writeSeconds: round(writeSeconds),
      promtoolSeconds: round(promtoolSeconds),
      tsdbBytes: await dirSize(out),
    };
    await writeFile(join(out, META_FILE), JSON.stringify(stats, null, 2));
    await rm(dir, { recursive: true, force: true });
    // The meta file is written before the rename, so a visible cache entry is always complete.
    await rename(out, dir).catch(async (e: NodeJS.ErrnoException) => {
      if (e.code !== "EXDEV") throw e;
      await run("cp", ["-r", out, dir]);
    });
    return stats;
  } finally {
    await victoria?.stop();
    await rm(work, { recursive: true, force: true });
  }
}

/** Most bytes per import request. */
const IMPORT_CHUNK = 8 * 1024 * 1024;

/**
 * Feeds an OpenMetrics history file to VictoriaMetrics' Prometheus text import.
 * That format takes timestamps in milliseconds, OpenMetrics in seconds: the
 * generator writes whole seconds, so "000" appended converts them.
 */
export async function importOpenMetrics(url: string, file: string): Promise<void> {
  let chunk: string[] = [];
  let size = 0;
  const send = async () => {
    if (chunk.length === 0) return;
    const body = chunk.join("");
    chunk = [];
    size = 0;
    const r = await fetch(`${url}/api/v1/import/prometheus`, { method: "POST", body });
    if (!r.ok) throw new Error(`victoria-metrics import: ${r.status} ${(await r.text()).slice(0, 500)}`);
  };
  for await (const line of createInterface({ input: createReadStream(file), crlfDelay: Number.POSITIVE_INFINITY })) {
    if (line === "" || line.startsWith("#")) continue;
    chunk.push(`${line}000\n`);
    size += line.length + 4;
    if (size >= IMPORT_CHUNK) await send();
  }
  await send();
}

async function dirSize(dir: string): Promise<number> {
  let total = 0;
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    total += entry.isDirectory() ? await dirSize(path) : (await stat(path)).size;
  }
  return total;
}

/** Runs tasks with at most `limit` at once; run() resolves once the task has started. */
class Pool {
  private active = 0;
  private readonly waiting: Array<() => void> = [];
  private readonly running = new Set<Promise<void>>();
  private failure: unknown = null;

  constructor(private readonly limit: number) {}

  async run(task: () => Promise<void>): Promise<void> {
    if (this.failure) throw this.failure;
    if (this.active >= this.limit) await new Promise<void>((r) => this.waiting.push(r));
    this.active++;
    const p = task()
      .catch((e: unknown) => {
        this.failure ??= e;
      })
      .finally(() => {
        this.active--;
        this.running.delete(p);
        this.waiting.shift()?.();
      });
    this.running.add(p);
  }

  async drain(): Promise<void> {
    while (this.running.size > 0) await Promise.all(this.running);
    if (this.failure) throw this.failure;
  }
}

const round = (s: number) => Math.round(s * 100) / 100;

export function cacheExists(source: BackfillSource): boolean {
  return existsSync(join(CACHE_ROOT, cacheKey(source), META_FILE));
}
