// Benchmark: the floor itself, on one Prometheus (no gateway). Prometheus' own
// evaluation time (its query log) of the edge queries of a Deployment batch
// as they were (`rate(X{source end}) or rate(X{destination end})`: inside one
// namespace both halves read the same series) and as `disjoint()` in
// src/mesh/engine.ts writes them now (the second half without the first
// half's series); and the PromQL of one NamespaceOverview document sent
// straight to Prometheus asking for gzip and for identity, with the CPU
// seconds Prometheus spent (its process_cpu_seconds_total).
//
//   node --import tsx bench/overhead.ts [--sizes 100,1000] [--iterations 9] [--warmup 2]
//
// Every contender runs once per round, the order alternating, in this one run.

import { availableParallelism, loadavg } from "node:os";
import { parseArgs } from "node:util";
import { disjoint } from "../src/mesh/engine.ts";
import { eq, type Matcher, oneOf, selector } from "../src/prometheus/promql.ts";
import { linkerd } from "../src/demo/traffic/linkerd.ts";
import { buildModel } from "../src/demo/traffic/model.ts";
import { SCALE_NAMESPACE, scaleTopology, T0 } from "../test/fixtures/topology.ts";
import { NamespaceOverviewDocument } from "../test/generated/graphql.ts";
import { startPrometheus, type PrometheusInstance } from "../test/harness/prometheus.ts";
import { data, testGateway } from "../test/support/gateway.ts";
import { logSince, logSize, median } from "./support/query-log.ts";
import { row } from "./support/markdown.ts";

const { values: args } = parseArgs({
  options: {
    sizes: { type: "string", default: "100,1000" },
    iterations: { type: "string", default: "9" },
    warmup: { type: "string", default: "2" },
  },
});
const SIZES = args.sizes!.split(",").map(Number);
const ITERATIONS = Number(args.iterations);
const WARMUP = Number(args.warmup);
/** bench/scale.ts' history, so that its cached TSDBs under .tmp/tsdb serve here too. */
const BENCH_HISTORY = { start: T0 - 120, end: T0, step: 15 } as const;

const progress = (line: string) => process.stderr.write(`# ${new Date().toISOString().slice(11, 19)} ${line}\n`);

/** One instant query at T0 as meshql's client sends it; the answer's text. */
async function query(p: PrometheusInstance, promql: string, gzip: boolean): Promise<string> {
  const response = await fetch(new URL("/api/v1/query", p.url), {
    method: "POST",
    headers: {
      "content-type": "application/x-www-form-urlencoded",
      accept: "application/json",
      ...(gzip ? {} : { "accept-encoding": "identity" }),
    },
    body: new URLSearchParams({ query: promql, time: T0.toFixed(3), timeout: "600s" }),
  });
  const text = await response.text();
  if (response.status !== 200) throw new Error(`query failed (${response.status}): ${text.slice(0, 200)}`);
  return text;
}

/** Prometheus' own CPU seconds so far. */
async function cpuSeconds(p: PrometheusInstance): Promise<number> {
  const text = await (await fetch(new URL("/metrics", p.url))).text();
  return Number(/^process_cpu_seconds_total (\S+)$/m.exec(text)?.[1] ?? Number.NaN);
}

/** A Deployment batch's edge query (Linkerd, outbound), with overlapping or disjoint halves. */
function edgeQuery(metric: string, n: number, halves: "overlapping" | "disjoint"): string {
  const names = scaleTopology(n).workloads.map((w) => w.name);
  const ends: Matcher[][] = [
    [eq("namespace", SCALE_NAMESPACE), oneOf("deployment", names)],
    [eq("dst_namespace", SCALE_NAMESPACE), oneOf("dst_deployment", names)],
  ];
  const buckets = metric.endsWith("_bucket");
  const parts = (halves === "disjoint" ? disjoint(ends) : ends).map(
    (m) => `${buckets ? "rate" : "increase"}(${selector(metric, [eq("direction", "outbound"), ...m])}[60s])`,
  );
  const group = buckets
    ? "le, namespace, deployment, dst_namespace, dst_deployment"
    : "namespace, deployment, dst_namespace, dst_deployment, classification, tls";
  return `sum by (${group}) (${parts.join(" or ")})`;
}

/** The answer's samples in a canonical order, to compare two queries' answers. */
const canonical = (text: string): string =>
  JSON.stringify(((JSON.parse(text) as { data: { result: unknown[] } }).data.result.map((r) => JSON.stringify(r)) as string[]).sort());

const lines: string[] = [];
const compression: string[] = [];
for (const n of SIZES) {
  const prometheus = await startPrometheus({
    model: buildModel(scaleTopology(n)),
    formats: [linkerd],
    ...BENCH_HISTORY,
    readyTimeoutMs: 600_000,
    queryTimeout: "10m",
  });
  progress(`n=${n}: Prometheus ready (${prometheus.backfill?.cached ? "cached" : "built"} TSDB)`);
  try {
    // 1. The edge queries' halves.
    for (const metric of ["response_latency_ms_bucket", "response_total"]) {
      const evals = { overlapping: [] as number[], disjoint: [] as number[] };
      const answers = { overlapping: "", disjoint: "" };
      for (let i = 0; i < WARMUP + ITERATIONS; i++) {
        for (const halves of (i % 2 ? ["overlapping", "disjoint"] : ["disjoint", "overlapping"]) as (keyof typeof evals)[]) {
          const offset = logSize(prometheus.queryLog);
          answers[halves] = canonical(await query(prometheus, edgeQuery(metric, n, halves), false));
          if (i >= WARMUP) evals[halves].push(logSince(prometheus.queryLog, offset).reduce((a, e) => a + e.evalMs, 0));
        }
      }
      const [o, d] = [median(evals.overlapping), median(evals.disjoint)];
      lines.push(
        row(n, metric, o.toFixed(1), d.toFixed(1), `${(d / o).toFixed(2)}×`, answers.overlapping === answers.disjoint ? "yes" : "NO"),
      );
      progress(`n=${n} ${metric}: halves done`);
    }

    // 2. One document's PromQL (from the query log), gzip vs identity.
    const gateway = await testGateway(prometheus.url, "linkerd", { cacheTtlMs: 0, queryTimeoutMs: 600_000 });
    prometheus.resetQueries();
    await data(gateway, NamespaceOverviewDocument, { namespace: SCALE_NAMESPACE, window: "1m" });
    const promql = prometheus.queries();
    await gateway.close();
    const floor = { gzip: { wall: [] as number[], cpu: [] as number[] }, identity: { wall: [] as number[], cpu: [] as number[] } };
    for (let i = 0; i < WARMUP + ITERATIONS; i++) {
      for (const encoding of (i % 2 ? ["gzip", "identity"] : ["identity", "gzip"]) as (keyof typeof floor)[]) {
        const cpu = await cpuSeconds(prometheus);
        const t = performance.now();
        await Promise.all(promql.map((q) => query(prometheus, q, encoding === "gzip")));
        const wall = performance.now() - t;
        if (i < WARMUP) continue;
        floor[encoding].wall.push(wall);
        floor[encoding].cpu.push((await cpuSeconds(prometheus)) - cpu);
      }
    }
    const m = median;
    const ratio = (f: (x: typeof floor.gzip) => number[]) => (m(f(floor.identity)) / m(f(floor.gzip))).toFixed(2);
    compression.push(
      row(
        n,
        promql.length,
        `${m(floor.gzip.wall).toFixed(0)} ms`,
        `${m(floor.identity.wall).toFixed(0)} ms`,
        `${ratio((x) => x.wall)}×`,
        `${m(floor.gzip.cpu).toFixed(2)} s`,
        `${m(floor.identity.cpu).toFixed(2)} s`,
        `${ratio((x) => x.cpu)}×`,
      ),
    );
    progress(`n=${n}: compression done`);
  } finally {
    await prometheus.stop();
  }
}

console.log(
  `\nmachine: ${availableParallelism()} CPUs, load average ${loadavg()
    .map((x) => x.toFixed(2))
    .join(" ")} at the end; node ${process.version}; ${ITERATIONS} rounds (+${WARMUP} warm-up), interleaved\n`,
);
console.log(
  row(
    "Deployments",
    "query",
    "overlapping halves: eval ms (median)",
    "disjoint halves: eval ms (median)",
    "disjoint / overlapping",
    "same answer",
  ),
);
console.log("|---:|---|---:|---:|---:|:---:|");
for (const line of lines) console.log(line);
console.log(
  `\n${row(
    "Deployments",
    "document queries",
    "wall, gzip",
    "wall, identity",
    "identity / gzip",
    "Prometheus CPU, gzip",
    "Prometheus CPU, identity",
    "identity / gzip",
  )}`,
);
console.log("|---:|---:|---:|---:|---:|---:|---:|---:|");
for (const line of compression) console.log(line);
