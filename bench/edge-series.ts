// Benchmark: the console's click on an edge at 300 Deployments. The console
// used to ask `series(range: "1h")` of every edge of the graph and keep one;
// the gateway rebuilt the whole graph at every step once per edge. Now it
// builds each step once per request, and the console asks one end's `edges`
// (web/src/queries.ts EDGE_SERIES_QUERY). Two gateways on one Prometheus, in
// child processes: "before" from another checkout (e.g. main, extracted into a
// directory under this one so that it finds node_modules), "after" from this
// one. Per request: the gateway process' CPU time (utime + stime from /proc),
// wall time and answer size; interleaved rounds, medians.
//
//   node --import tsx bench/edge-series.ts --before DIR [--size 300] [--iterations 7] [--warmup 1]

import { availableParallelism, loadavg } from "node:os";
import { resolve } from "node:path";
import { parseArgs } from "node:util";
import { linkerd } from "../src/demo/traffic/linkerd.ts";
import { buildModel } from "../src/demo/traffic/model.ts";
import { SCALE_HISTORY, SCALE_NAMESPACE, scaleTopology, T0 } from "../test/fixtures/topology.ts";
import { startPrometheus } from "../test/harness/prometheus.ts";
import { EDGE_SERIES_QUERY, GRAPH_EDGE_SERIES_QUERY } from "../web/src/queries.ts";
import { median } from "./support/query-log.ts";
import { startSourceGateway, stopSourceGateways } from "./support/source-gateway.ts";

const { values: args } = parseArgs({
  options: {
    before: { type: "string" },
    size: { type: "string", default: "300" },
    iterations: { type: "string", default: "7" },
    warmup: { type: "string", default: "1" },
  },
});
if (!args.before) throw new Error("--before DIR is required (a checkout to compare with, e.g. main)");
const SIZE = Number(args.size);
const ITERATIONS = Number(args.iterations);
const WARMUP = Number(args.warmup);
const AFTER = new URL("../", import.meta.url).pathname;
const at = new Date(T0 * 1000).toISOString();
const [source, destination] = scaleTopology(SIZE)
  .workloads.slice(1, 3)
  .map((w) => `DEPLOYMENT/${SCALE_NAMESPACE}/${w.name}`) as [string, string];

const progress = (line: string) => process.stderr.write(`# ${new Date().toISOString().slice(11, 19)} ${line}\n`);

type Point = { timestamp: string; requestsPerSecond: number };
/** Each contender's request and how to find the clicked edge's series in its answer. */
const DOCUMENTS = {
  "every edge's series (the console before)": {
    query: GRAPH_EDGE_SERIES_QUERY,
    variables: { namespaces: [SCALE_NAMESPACE], window: "1m", at },
    series: (data: unknown) =>
      (data as { graph: { edges: Array<{ source: { id: string }; destination: { id: string }; series: Point[] }> } }).graph.edges.find(
        (e) => e.source.id === source && e.destination.id === destination,
      )?.series,
  },
  "one end's edges (the console now)": {
    query: EDGE_SERIES_QUERY,
    variables: {
      kind: "DEPLOYMENT",
      namespace: SCALE_NAMESPACE,
      name: source.split("/")[2],
      direction: "TO",
      peerKinds: ["DEPLOYMENT"],
      window: "1m",
      at,
    },
    series: (data: unknown) =>
      (data as { resource: { edges: Array<{ peer: { name: string }; series: Point[] }> } }).resource.edges.find(
        (e) => `DEPLOYMENT/${SCALE_NAMESPACE}/${e.peer.name}` === destination,
      )?.series,
  },
} as const;
type DocumentName = keyof typeof DOCUMENTS;

const prometheus = await startPrometheus({
  model: buildModel(scaleTopology(SIZE)),
  formats: [linkerd],
  ...SCALE_HISTORY,
  readyTimeoutMs: 600_000,
});
progress(`n=${SIZE}: Prometheus ready (${prometheus.backfill?.cached ? "cached" : "built"} TSDB)`);
try {
  const flags = ["--prometheus", prometheus.url, "--cache-ttl", "0"];
  const gateways = { before: await startSourceGateway(resolve(args.before), flags), after: await startSourceGateway(AFTER, flags) };
  const contenders: Array<{ name: string; gateway: keyof typeof gateways; document: DocumentName }> = [
    { name: "before, every edge's series", gateway: "before", document: "every edge's series (the console before)" },
    { name: "after, every edge's series", gateway: "after", document: "every edge's series (the console before)" },
    { name: "after, one end's edges", gateway: "after", document: "one end's edges (the console now)" },
  ];
  const samples = new Map(contenders.map((c) => [c.name, { cpu: [] as number[], wall: [] as number[], bytes: [] as number[] }]));
  const answers = new Map<string, string>();
  for (let i = 0; i < WARMUP + ITERATIONS; i++) {
    for (let j = 0; j < contenders.length; j++) {
      const c = contenders[(i + j) % contenders.length]!;
      const { url, cpuMs } = gateways[c.gateway];
      const doc = DOCUMENTS[c.document];
      const cpu = cpuMs();
      const t = performance.now();
      const response = await fetch(`${url}/graphql`, {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify({ query: doc.query, variables: doc.variables }),
      });
      const body = await response.text();
      const wall = performance.now() - t;
      const used = cpuMs() - cpu;
      const parsed = JSON.parse(body) as { data?: unknown; errors?: unknown[] };
      if (parsed.errors || !parsed.data) throw new Error(`${c.name}: ${body.slice(0, 300)}`);
      const series = doc.series(parsed.data);
      if (!series || series.length === 0) throw new Error(`${c.name}: no series for ${source} -> ${destination}`);
      answers.set(c.name, JSON.stringify(series));
      if (i < WARMUP) continue;
      const s = samples.get(c.name)!;
      s.cpu.push(used);
      s.wall.push(wall);
      s.bytes.push(Buffer.byteLength(body));
      progress(`${c.name}: ${used.toFixed(0)} ms CPU, ${wall.toFixed(0)} ms wall, ${Buffer.byteLength(body)} bytes`);
    }
  }
  if (new Set(answers.values()).size !== 1) throw new Error(`the edge's series differ between contenders: ${[...answers].join("\n")}`);
  const points = (JSON.parse([...answers.values()][0]!) as Point[]).length;

  console.log(
    `\n${SIZE} Deployments (${SIZE} edges), the series of ${source} -> ${destination}: ${points} points, identical in every answer`,
  );
  console.log(
    `machine: ${availableParallelism()} CPUs, load average ${loadavg()
      .map((x) => x.toFixed(2))
      .join(" ")} at the end; node ${process.version}; ${ITERATIONS} rounds (+${WARMUP} warm-up), interleaved; ` +
      `gateway CPU in ${gateways.after.tickMs} ms ticks\n`,
  );
  console.log("| gateway, request | gateway CPU (median) | wall (median) | answer bytes |");
  console.log("|---|---:|---:|---:|");
  for (const c of contenders) {
    const s = samples.get(c.name)!;
    console.log(`| ${c.name} | ${median(s.cpu).toFixed(0)} ms | ${median(s.wall).toFixed(0)} ms | ${median(s.bytes)} |`);
  }
  const base = samples.get(contenders[0]!.name)!;
  for (const c of contenders.slice(1)) {
    const s = samples.get(c.name)!;
    console.log(
      `\n${c.name} / ${contenders[0]!.name}: ` +
        `CPU ${(median(s.cpu) / median(base.cpu)).toFixed(3)}×, wall ${(median(s.wall) / median(base.wall)).toFixed(3)}×`,
    );
  }
} finally {
  stopSourceGateways();
  await prometheus.stop();
}
