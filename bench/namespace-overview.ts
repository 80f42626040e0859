// Benchmark: the NamespaceOverview document (every Deployment of a namespace
// with its metrics, its edges and each peer's metrics) against a real harness
// Prometheus, at 3, 30 and 300 Deployments; the old four-histogram_quantile
// PromQL against the one bucket-rate query; and cache hits against misses.
//
//   node --import tsx bench/namespace-overview.ts [--iterations N] [--warmup W]
//
// The machine is assumed noisy: every comparison is measured in this one run,
// interleaved (one sample of each contender per round, the order rotating each
// round), and reported as medians and ratios of medians. See bench/README.md.

import { execFileSync } from "node:child_process";
import { availableParallelism, loadavg } from "node:os";
import { parseArgs } from "node:util";
import { type Bucket, histogramQuantile } from "../src/domain/histogram.ts";
import { QUANTILES } from "../src/domain/metrics.ts";
import type { Gateway } from "../src/server/gateway.ts";
import { linkerd } from "../src/demo/traffic/linkerd.ts";
import { buildModel } from "../src/demo/traffic/model.ts";
import { SCALE_HISTORY, SCALE_NAMESPACE, scaleTopology, T0 } from "../test/fixtures/topology.ts";
import { NamespaceOverviewDocument, type NamespaceOverviewQuery } from "../test/generated/graphql.ts";
import { findBinary } from "../src/demo/prometheus.ts";
import { startPrometheus, type PrometheusInstance } from "../test/harness/prometheus.ts";
import { testGateway } from "../test/support/gateway.ts";
import { print } from "graphql";

const { values: args } = parseArgs({
  options: {
    iterations: { type: "string", default: "15" },
    warmup: { type: "string", default: "3" },
  },
});
const ITERATIONS = positiveInt(args.iterations, "--iterations");
const WARMUP = positiveInt(args.warmup, "--warmup", true);
const SIZES = [3, 30, 300] as const;
const LARGE = 300;
const WINDOW = "1m";
const QUERY_TIMEOUT_MS = 60_000;
const CACHE_TTL_MS = 5000;

function positiveInt(text: string | undefined, flag: string, zeroOk = false): number {
  const n = Number(text);
  if (!Number.isInteger(n) || n < (zeroOk ? 0 : 1))
    throw new Error(`${flag} must be a ${zeroOk ? "non-negative" : "positive"} integer, got ${text}`);
  return n;
}

// ---------------------------------------------------------------- statistics

function sorted(xs: readonly number[]): number[] {
  return [...xs].sort((a, b) => a - b);
}
function median(xs: readonly number[]): number {
  const s = sorted(xs);
  const mid = s.length >> 1;
  return s.length % 2 ? s[mid]! : (s[mid - 1]! + s[mid]!) / 2;
}
/** Nearest-rank percentile. */
function percentile(xs: readonly number[], p: number): number {
  const s = sorted(xs);
  return s[Math.min(s.length - 1, Math.max(0, Math.ceil(p * s.length) - 1))]!;
}
/** How often each value occurs, e.g. "0 (14×), 1 (1×)"; one value alone is printed bare. */
function tally(xs: readonly number[]): string {
  const counts = new Map<number, number>();
  for (const x of xs) counts.set(x, (counts.get(x) ?? 0) + 1);
  const keys = [...counts.keys()].sort((a, b) => a - b);
  return keys.length === 1 ? String(keys[0]) : keys.map((k) => `${k} (${counts.get(k)}×)`).join(", ");
}
const ms = (x: number) => `${x.toFixed(1)} ms`;
const ratio = (x: number) => `${x.toFixed(2)}×`;

/** Runs each contender once per round, rotating who goes first, and returns their timings. */
async function interleave<K extends string>(rounds: number, contenders: Record<K, () => Promise<number>>): Promise<Record<K, number[]>> {
  const names = Object.keys(contenders) as K[];
  const out = Object.fromEntries(names.map((k) => [k, [] as number[]])) as Record<K, number[]>;
  for (let i = 0; i < rounds; i++) {
    for (let j = 0; j < names.length; j++) {
      const name = names[(i + j) % names.length]!;
      out[name].push(await contenders[name]());
    }
  }
  return out;
}

// ---------------------------------------------------------------- set-up and tear-down

interface Setup {
  readonly n: number;
  readonly prometheus: PrometheusInstance;
  readonly gateway: Gateway;
  /** Backend queries of each timed document, from the query log. */
  readonly queries: number[];
}

const prometheuses: PrometheusInstance[] = [];
const gateways: Gateway[] = [];
let cleaning: Promise<void> | null = null;

function cleanup(): Promise<void> {
  cleaning ??= (async () => {
    for (const g of gateways.splice(0)) await g.close().catch(() => {});
    await Promise.all(prometheuses.splice(0).map((p) => p.stop().catch(() => {})));
  })();
  return cleaning;
}
for (const signal of ["SIGINT", "SIGTERM"] as const) {
  process.once(signal, () => {
    process.stderr.write(`\n${signal}: stopping Prometheus...\n`);
    void cleanup().finally(() => process.exit(130));
  });
}

const progress = (line: string) => process.stderr.write(`# ${line}\n`);

async function setUp(n: number): Promise<Setup> {
  const model = buildModel(scaleTopology(n));
  const started = performance.now();
  const prometheus = await startPrometheus({ model, formats: [linkerd], ...SCALE_HISTORY });
  prometheuses.push(prometheus);
  const gateway = await testGateway(prometheus.url, "linkerd", { cacheTtlMs: 0, queryTimeoutMs: QUERY_TIMEOUT_MS });
  gateways.push(gateway);
  progress(
    `n=${n}: Prometheus ready in ${((performance.now() - started) / 1000).toFixed(1)} s (backfill ` +
      `${prometheus.backfill?.cached ? "cached" : "built"})`,
  );
  return { n, prometheus, gateway, queries: [] };
}

// ---------------------------------------------------------------- the document

const OVERVIEW = JSON.stringify({ query: print(NamespaceOverviewDocument), variables: { namespace: SCALE_NAMESPACE, window: WINDOW } });

/** One NamespaceOverview through the HTTP app; checks the answer, returns wall milliseconds and backend queries. */
async function overview(gateway: Gateway, prometheus: PrometheusInstance, n: number): Promise<{ ms: number; queries: number }> {
  prometheus.resetQueries();
  const started = performance.now();
  const response = await gateway.app.inject({
    method: "POST",
    url: "/graphql",
    headers: { "content-type": "application/json" },
    payload: OVERVIEW,
  });
  const elapsed = performance.now() - started;
  const body = response.json() as { data?: NamespaceOverviewQuery | null; errors?: unknown[] };
  if (response.statusCode !== 200 || body.errors?.length || !body.data) {
    throw new Error(`NamespaceOverview at n=${n} failed (${response.statusCode}): ${JSON.stringify(body.errors ?? body).slice(0, 500)}`);
  }
  const resources = body.data.resources;
  if (resources.length !== n || resources.some((r) => r.edges?.length !== 2 || r.metrics?.latency.p99 == null)) {
    throw new Error(`NamespaceOverview at n=${n}: incomplete answer (${resources.length} resources)`);
  }
  return { ms: elapsed, queries: prometheus.queries().length };
}

// ---------------------------------------------------------------- old vs new latency PromQL

const BUCKET_RATES = `rate(response_latency_ms_bucket{direction="inbound",namespace="${SCALE_NAMESPACE}"}[60s])`;
const SUMMED = `sum by (le, namespace, deployment) (${BUCKET_RATES})`;
/** Before: Prometheus evaluates histogram_quantile four times, reading every bucket series four times. */
const OLD_PROMQL = QUANTILES.map((q) => `label_replace(histogram_quantile(${q}, ${SUMMED}), "q", "${q}", "", "")`).join(" or ");
/** Now: the summed bucket rates once; the quantiles are computed here. */
const NEW_PROMQL = SUMMED;

interface RawSample {
  metric: Record<string, string>;
  value: [number, string];
}

async function instantQuery(url: string, promql: string): Promise<RawSample[]> {
  const response = await fetch(new URL("/api/v1/query", url), {
    method: "POST",
    headers: { "content-type": "application/x-www-form-urlencoded", accept: "application/json" },
    body: new URLSearchParams({ query: promql, time: T0.toFixed(3), timeout: `${QUERY_TIMEOUT_MS / 1000}s` }),
  });
  const body = (await response.json()) as { status: string; error?: string; data?: { result?: RawSample[] } };
  if (body.status !== "success" || !body.data?.result)
    throw new Error(`query failed: ${body.error ?? response.status}: ${promql.slice(0, 200)}`);
  return body.data.result;
}

/** deployment -> quantile -> value */
type Quantiles = Map<string, Map<number, number>>;

async function oldWay(url: string): Promise<Quantiles> {
  const out: Quantiles = new Map();
  for (const s of await instantQuery(url, OLD_PROMQL)) {
    const key = `${s.metric.namespace}/${s.metric.deployment}`;
    if (!out.has(key)) out.set(key, new Map());
    out.get(key)!.set(Number(s.metric.q), Number(s.value[1]));
  }
  return out;
}

async function newWay(url: string): Promise<Quantiles> {
  const buckets = new Map<string, Bucket[]>();
  for (const s of await instantQuery(url, NEW_PROMQL)) {
    const key = `${s.metric.namespace}/${s.metric.deployment}`;
    const le = s.metric.le === "+Inf" ? Number.POSITIVE_INFINITY : Number(s.metric.le);
    if (!buckets.has(key)) buckets.set(key, []);
    buckets.get(key)!.push({ le, count: Number(s.value[1]) });
  }
  const out: Quantiles = new Map();
  for (const [key, bs] of buckets) out.set(key, new Map(QUANTILES.map((q) => [q, histogramQuantile(q, bs)])));
  return out;
}

/** Largest relative difference between the two answers; throws when they do not cover the same series. */
function maxRelativeDifference(a: Quantiles, b: Quantiles): number {
  if (a.size !== b.size) throw new Error(`old and new answers differ in size: ${a.size} vs ${b.size}`);
  let worst = 0;
  for (const [key, qa] of a) {
    const qb = b.get(key);
    if (!qb) throw new Error(`new answer lacks ${key}`);
    for (const q of QUANTILES) {
      const x = qa.get(q)!;
      const y = qb.get(q)!;
      worst = Math.max(worst, Math.abs(x - y) / Math.max(1e-12, Math.abs(x)));
    }
  }
  return worst;
}

// ---------------------------------------------------------------- main

async function main(): Promise<void> {
  const benchStarted = performance.now();
  const load0 = loadavg();
  progress(`iterations ${ITERATIONS}, warm-up ${WARMUP}`);

  const setups: Setup[] = [];
  for (const n of SIZES) setups.push(await setUp(n));
  const large = setups.find((s) => s.n === LARGE)!;
  const cached = await testGateway(large.prometheus.url, "linkerd", { cacheTtlMs: CACHE_TTL_MS, queryTimeoutMs: QUERY_TIMEOUT_MS });
  gateways.push(cached);

  progress("warming up");
  for (let i = 0; i < WARMUP; i++) {
    for (const s of setups) await overview(s.gateway, s.prometheus, s.n);
    await oldWay(large.prometheus.url);
    await newWay(large.prometheus.url);
  }

  // 1. The document at 3, 30 and 300 Deployments, no cache.
  progress("1/3 NamespaceOverview at n = 3, 30, 300");
  const scaling = await interleave(
    ITERATIONS,
    Object.fromEntries(
      setups.map((s) => [
        String(s.n),
        async () => {
          const r = await overview(s.gateway, s.prometheus, s.n);
          s.queries.push(r.queries);
          return r.ms;
        },
      ]),
    ),
  );

  // 2. Latency at n=300: four histogram_quantiles in Prometheus vs one bucket-rate query.
  progress("2/3 latency PromQL at n=300: old vs new");
  const oldAnswer = await oldWay(large.prometheus.url);
  const newAnswer = await newWay(large.prometheus.url);
  const disagreement = maxRelativeDifference(oldAnswer, newAnswer);
  const time = (f: () => Promise<unknown>) => async () => {
    const started = performance.now();
    await f();
    return performance.now() - started;
  };
  const promql = await interleave(ITERATIONS, {
    old: time(() => oldWay(large.prometheus.url)),
    new: time(() => newWay(large.prometheus.url)),
  });

  // 3. Cache: each timed cached document directly follows an identical untimed one,
  // so it is a hit whatever the machine's speed; the query log checks it.
  progress("3/3 NamespaceOverview at n=300: cache hits vs no cache");
  const cachedQueries: number[] = [];
  const uncachedQueries: number[] = [];
  const cache = await interleave(ITERATIONS, {
    uncached: async () => {
      const r = await overview(large.gateway, large.prometheus, LARGE);
      uncachedQueries.push(r.queries);
      return r.ms;
    },
    cached: async () => {
      await overview(cached, large.prometheus, LARGE);
      const r = await overview(cached, large.prometheus, LARGE);
      cachedQueries.push(r.queries);
      return r.ms;
    },
  });

  const load1 = loadavg();
  const totalSeconds = (performance.now() - benchStarted) / 1000;
  await cleanup();

  // ---------------------------------------------------------------- report
  const base = median(scaling["3"]!);
  const lines: string[] = [];
  lines.push(`## NamespaceOverview (window ${WINDOW}, cacheTtlMs 0), ${ITERATIONS} interleaved iterations after ${WARMUP} warm-up`);
  lines.push("");
  lines.push("| Deployments | vs n=3 | median | p90 | backend queries / document | median vs n=3 |");
  lines.push("|---:|---:|---:|---:|---:|---:|");
  for (const s of setups) {
    const t = scaling[String(s.n)]!;
    lines.push(
      `| ${s.n} | ${s.n / SIZES[0]}× | ${ms(median(t))} | ${ms(percentile(t, 0.9))} | ${tally(s.queries)} | ${ratio(median(t) / base)} |`,
    );
  }
  lines.push("");
  lines.push(`## Latency PromQL at n=${LARGE}, sent to /api/v1/query at T0 (fetch + JSON + client-side quantiles for "new")`);
  lines.push("");
  lines.push("| way | median | p90 | median vs new |");
  lines.push("|---|---:|---:|---:|");
  const newMedian = median(promql.new);
  lines.push(
    `| old: 4 × histogram_quantile joined with \`or\` | ${ms(median(promql.old))} | ${ms(percentile(promql.old, 0.9))} | ` +
      `${ratio(median(promql.old) / newMedian)} |`,
  );
  lines.push(`| new: summed bucket rates once, quantiles client-side | ${ms(newMedian)} | ${ms(percentile(promql.new, 0.9))} | 1.00× |`);
  lines.push("");
  lines.push(
    `Same answer: ${oldAnswer.size} deployments × ${QUANTILES.length} quantiles, largest relative difference ` +
      `${disagreement.toExponential(1)}.`,
  );
  lines.push("");
  lines.push(`## Cache at n=${LARGE}: identical document, cacheTtlMs ${CACHE_TTL_MS} (hit) vs 0`);
  lines.push("");
  lines.push("| gateway | median | p90 | backend queries / document | median vs no cache |");
  lines.push("|---|---:|---:|---:|---:|");
  const uncachedMedian = median(cache.uncached);
  lines.push(`| cacheTtlMs 0 | ${ms(uncachedMedian)} | ${ms(percentile(cache.uncached, 0.9))} | ${tally(uncachedQueries)} | 1.00× |`);
  lines.push(
    `| cacheTtlMs ${CACHE_TTL_MS}, repeated | ${ms(median(cache.cached))} | ${ms(percentile(cache.cached, 0.9))} | ` +
      `${tally(cachedQueries)} | ${ratio(median(cache.cached) / uncachedMedian)} |`,
  );
  lines.push("");
  lines.push(
    "Answers are cached per backend query: a timed document can still send a query whose entry expired between the priming " +
      "document and it.",
  );
  lines.push("");
  lines.push("## Machine");
  lines.push("");
  lines.push(`- ${availableParallelism()} CPUs (os.availableParallelism), node ${process.version}, ${prometheusVersion()}`);
  lines.push(
    `- load average (1/5/15 min) at start ${load0.map((x) => x.toFixed(2)).join(" / ")}, at end ` +
      `${load1.map((x) => x.toFixed(2)).join(" / ")}`,
  );
  lines.push(`- total ${totalSeconds.toFixed(0)} s including Prometheus start-up`);
  console.log(lines.join("\n"));
}

function prometheusVersion(): string {
  try {
    const out = execFileSync(findBinary("prometheus"), ["--version"], { encoding: "utf8", stdio: ["ignore", "pipe", "pipe"] });
    return out.split("\n")[0]!.replace(/\s*\(.*$/, "");
  } catch {
    return "prometheus (version unknown)";
  }
}

try {
  await main();
} catch (e) {
  process.exitCode = 1;
  console.error(e);
} finally {
  await cleanup();
}
