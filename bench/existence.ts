// Benchmark: one resource's edges over SMI REST at 1,000 Deployments, where the
// request's existence check (is the resource known?) used to list the whole
// namespace over the 1 h lookback. Two gateways on one Prometheus, in child
// processes: "before" from another checkout (e.g. main, built into a separate
// directory), "after" from this one. Interleaved rounds, medians, and
// Prometheus' own evaluation time per request from its query log.
//
//   node --import tsx bench/existence.ts --before DIR [--mesh linkerd|istio|consul] [--size 1000] [--iterations 21] [--warmup 3]
//
// DIR is a checkout with its own bench/support/gateway-process.ts and node_modules; for --mesh other
// than linkerd its gateway-process.ts must take --mesh (copy this one's into it).

import { availableParallelism, loadavg } from "node:os";
import { parseArgs } from "node:util";
import { demoFormat } from "../src/demo/traffic/formats.ts";
import type { MeshName } from "../src/mesh/adapter.ts";
import { buildModel } from "../src/demo/traffic/model.ts";
import { SCALE_NAMESPACE, scaleTopology, T0 } from "../test/fixtures/topology.ts";
import { startPrometheus } from "../test/harness/prometheus.ts";
import { logSince, logSize, median } from "./support/query-log.ts";
import { startSourceGateway, stopSourceGateways } from "./support/source-gateway.ts";
import { row } from "./support/markdown.ts";

const { values: args } = parseArgs({
  options: {
    before: { type: "string" },
    mesh: { type: "string", default: "linkerd" },
    size: { type: "string", default: "1000" },
    iterations: { type: "string", default: "21" },
    warmup: { type: "string", default: "3" },
  },
});
if (!args.before) throw new Error("--before DIR is required (a checkout to compare with, e.g. main)");
const MESH = args.mesh as MeshName;
const FORMAT = demoFormat(MESH);
const SIZE = Number(args.size);
const ITERATIONS = Number(args.iterations);
const WARMUP = Number(args.warmup);
const AFTER = new URL("../", import.meta.url).pathname;
/** bench/scale.ts' history, so that its cached TSDB under .tmp/tsdb serves here too. */
const BENCH_HISTORY = { start: T0 - 120, end: T0, step: 15 } as const;
const NAME = scaleTopology(SIZE).workloads[1]!.name;
const PATH = `/apis/metrics.smi-spec.io/v1alpha1/namespaces/${SCALE_NAMESPACE}/deployments/${NAME}/edges`;

const progress = (line: string) => process.stderr.write(`# ${new Date().toISOString().slice(11, 19)} ${line}\n`);

const prometheus = await startPrometheus({
  model: buildModel(scaleTopology(SIZE)),
  formats: [FORMAT],
  ...BENCH_HISTORY,
  readyTimeoutMs: 600_000,
});
progress(`${MESH}, n=${SIZE}: Prometheus ready (${prometheus.backfill?.cached ? "cached" : "built"} TSDB)`);
try {
  // main's gateway-process.ts had no --mesh: it is passed only where needed.
  const flags = ["--prometheus", prometheus.url, "--cache-ttl", "0", ...(MESH === "linkerd" ? [] : ["--mesh", MESH])];
  const contenders = { before: await startSourceGateway(args.before, flags), after: await startSourceGateway(AFTER, flags) };
  const names = Object.keys(contenders) as (keyof typeof contenders)[];
  const bodies = new Map<string, string>();
  const samples = Object.fromEntries(
    names.map((n) => [n, { wall: [] as number[], evalSum: [] as number[], existence: [] as number[], queries: [] as number[] }]),
  );
  for (let i = 0; i < WARMUP + ITERATIONS; i++) {
    for (let j = 0; j < names.length; j++) {
      const name = names[(i + j) % names.length]!;
      const offset = logSize(prometheus.queryLog);
      const t = performance.now();
      const response = await fetch(contenders[name].url + PATH);
      const body = await response.text();
      const wall = performance.now() - t;
      if (response.status !== 200) throw new Error(`${name}: ${response.status} ${body.slice(0, 300)}`);
      bodies.set(name, body);
      if (i < WARMUP) continue;
      const log = logSince(prometheus.queryLog, offset);
      const s = samples[name]!;
      s.wall.push(wall);
      s.evalSum.push(log.reduce((a, e) => a + e.evalMs, 0));
      // The lookback's (1 h) query; Istio's and Consul's edges also map peers over the request's window.
      s.existence.push(
        log.filter((e) => e.query.includes("present_over_time") && e.query.includes("[3600s]")).reduce((a, e) => a + e.evalMs, 0),
      );
      s.queries.push(log.length);
    }
  }
  if (bodies.get("before") !== bodies.get("after")) throw new Error("before and after answered differently");
  const items = (JSON.parse(bodies.get("after")!) as { items: unknown[] }).items.length;
  const offset = logSize(prometheus.queryLog);
  await fetch(contenders.after.url + PATH);
  const afterQueries = logSince(prometheus.queryLog, offset).map((e) => `${e.evalMs.toFixed(2)} ms  ${e.query}`);

  console.log(`\n${MESH}, ${SIZE} Deployments, GET ${PATH} (${items} edges, identical bytes before and after)`);
  console.log(
    `machine: ${availableParallelism()} CPUs, load average ${loadavg()
      .map((x) => x.toFixed(2))
      .join(" ")} at the end; node ${process.version}; ${ITERATIONS} rounds (+${WARMUP} warm-up), interleaved\n`,
  );
  console.log(
    row(
      "gateway",
      "median wall",
      "p90 wall",
      "backend queries",
      "Prometheus eval, sum per request (median)",
      "of which the existence check (median)",
    ),
  );
  console.log("|---|---:|---:|---:|---:|---:|");
  const p90 = (xs: readonly number[]) => [...xs].sort((a, b) => a - b)[Math.ceil(0.9 * xs.length) - 1]!;
  for (const name of names) {
    const s = samples[name]!;
    console.log(
      row(
        name,
        `${median(s.wall).toFixed(1)} ms`,
        `${p90(s.wall).toFixed(1)} ms`,
        median(s.queries),
        `${median(s.evalSum).toFixed(2)} ms`,
        `${median(s.existence).toFixed(2)} ms`,
      ),
    );
  }
  const ratio = (f: (s: (typeof samples)[string]) => number[]) => (median(f(samples.after!)) / median(f(samples.before!))).toFixed(2);
  console.log(
    `\nafter / before: wall ${ratio((s) => s.wall)}×, Prometheus eval ${ratio((s) => s.evalSum)}×, ` +
      `existence check ${ratio((s) => s.existence)}×`,
  );
  console.log(
    `\nafter's queries, with Prometheus' evaluation time of one more request:\n${afterQueries.map((q) => `    ${q}`).join("\n")}`,
  );
} finally {
  stopSourceGateways();
  await prometheus.stop();
}
