// Benchmark at 10, 100, 1,000 and 5,000 Deployments: meshql against its floor
// (the same PromQL sent straight to Prometheus), peak RSS, the CPU profile's top
// functions, 64 concurrent identical dashboards, 64 concurrent distinct large
// documents, the cached small document against a bare Apollo + fastify server,
// and a soak. Every gateway runs in a child process (bench/support/gateway-process.ts)
// so its RSS and profile are its own.
//
//   node --import tsx bench/scale.ts [--sizes 10,100,1000,5000] [--parts floor,profile,identical,memory,cached,soak]
//        [--iterations N] [--soak-seconds S] [--cannon-seconds S] [--before REV | --no-before]
//
// Medians and ratios from this one run, interleaved; see bench/README.md.

import { execFileSync, spawn, type ChildProcess } from "node:child_process";
import { readdirSync, readFileSync } from "node:fs";
import { request as httpRequest } from "node:http";
import { mkdtemp, rm } from "node:fs/promises";
import { createRequire } from "node:module";
import { availableParallelism, loadavg, tmpdir } from "node:os";
import { join } from "node:path";
import { createInterface } from "node:readline";
import { parseArgs } from "node:util";
import { print } from "graphql";
import { SCALE_NAMESPACE, T0 } from "../test/fixtures/topology.ts";
import { NamespaceOverviewDocument, ResourceMetricsDocument } from "../test/generated/graphql.ts";
import type { PrometheusInstance } from "../test/harness/prometheus.ts";
import { BUILD_DIR, type Build, buildGateway } from "./support/build.ts";
import { startScalePrometheus } from "./support/scale-prometheus.ts";
import { row } from "./support/markdown.ts";

const { values: args } = parseArgs({
  options: {
    sizes: { type: "string", default: "10,100,1000,5000" },
    parts: { type: "string", default: "floor,profile,identical,memory,cached,soak" },
    iterations: { type: "string", default: "5" },
    "soak-seconds": { type: "string", default: "600" },
    "cannon-seconds": { type: "string", default: "5" },
    "large-size": { type: "string", default: "1000" },
    "profile-sizes": { type: "string", default: "1000" },
    /** The revision the "before" gateway is built from; default: where this branch left main. */
    before: { type: "string" },
    /** Skip the "before" build: measure this checkout only. */
    "no-before": { type: "boolean", default: false },
  },
});
const SIZES = args.sizes!.split(",").map(Number);
const PROFILE_SIZES = args["profile-sizes"]!.split(",").map(Number);
const PARTS = new Set(args.parts!.split(","));
const ITERATIONS = Number(args.iterations);
const SOAK_SECONDS = Number(args["soak-seconds"]);
const CANNON_SECONDS = Number(args["cannon-seconds"]);
/** Size of the concurrency, cached-path and soak parts. */
const LARGE = Number(args["large-size"]);
const CONCURRENT = 64;
const ROOT = new URL("../", import.meta.url).pathname;

const progress = (line: string) => process.stderr.write(`# ${new Date().toISOString().slice(11, 19)} ${line}\n`);
const median = (xs: readonly number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
};
const ms = (x: number) => `${x.toFixed(0)} ms`;
const mib = (kb: number) => `${(kb / 1024).toFixed(0)} MiB`;
const ratio = (x: number) => `${x.toFixed(2)}×`;

// ---------------------------------------------------------------- child gateways

interface Child {
  readonly url: string;
  readonly process: ChildProcess;
  /** VmHWM / VmRSS in KiB. */
  memory(): { peak: number; rss: number };
  /** User + system CPU time so far, in ms. */
  cpuMs(): number;
  stop(): Promise<void>;
}
const children = new Set<Child>();
const prometheuses = new Set<PrometheusInstance>();

/** The compiled gateways: "after" is this checkout, "before" the revision it is compared with. */
const builds: Build[] = [];
const buildFacts: string[] = [];
const after = (): Build => builds.find((b) => b.name === "after")!;

async function child(flags: string[], nodeFlags: string[] = [], build: Build = after()): Promise<Child> {
  // NODE_ENV=production as the image and the chart run it (graphql-js skips its development checks).
  const p = spawn(process.execPath, [...nodeFlags, build.script, ...flags], {
    stdio: ["ignore", "pipe", "inherit"],
    cwd: ROOT,
    env: { ...process.env, NODE_ENV: "production" },
  });
  const line = await new Promise<string>((resolve, reject) => {
    createInterface({ input: p.stdout! }).once("line", resolve);
    p.once("exit", (code) => reject(new Error(`gateway process exited with ${code}`)));
  });
  const c: Child = {
    url: (JSON.parse(line) as { url: string }).url,
    process: p,
    memory() {
      const status = readFileSync(`/proc/${p.pid}/status`, "utf8");
      const kb = (key: string) => Number(new RegExp(`${key}:\\s+(\\d+)`).exec(status)?.[1] ?? Number.NaN);
      return { peak: kb("VmHWM"), rss: kb("VmRSS") };
    },
    cpuMs() {
      // Fields 14 and 15 of /proc/PID/stat (after the parenthesized command): utime, stime in clock ticks (100/s).
      const fields = readFileSync(`/proc/${p.pid}/stat`, "utf8")
        .replace(/^.*\) /, "")
        .split(" ");
      return (Number(fields[11]) + Number(fields[12])) * 10;
    },
    async stop() {
      children.delete(c);
      if (p.exitCode !== null) return;
      const exited = new Promise((r) => p.once("exit", r));
      p.kill("SIGTERM");
      await exited;
    },
  };
  children.add(c);
  return c;
}

async function cleanup(): Promise<void> {
  await Promise.all([...children].map((c) => c.stop().catch(() => {})));
  await Promise.all([...prometheuses].map((p) => p.stop().catch(() => {})));
  prometheuses.clear();
  await rm(BUILD_DIR, { recursive: true, force: true });
}
for (const signal of ["SIGINT", "SIGTERM"] as const) process.once(signal, () => void cleanup().finally(() => process.exit(130)));

async function prometheusFor(n: number): Promise<PrometheusInstance> {
  const started = performance.now();
  const p = await startScalePrometheus(n);
  prometheuses.add(p);
  const b = p.backfill!;
  progress(
    `n=${n}: Prometheus ready in ${((performance.now() - started) / 1000).toFixed(0)} s (${b.cached ? "cached" : "built"}: ` +
      `${b.stats.series} series, ${b.stats.samples} samples, write ${b.stats.writeSeconds} s + promtool ${b.stats.promtoolSeconds} ` +
      "s)",
  );
  return p;
}
async function stopPrometheus(p: PrometheusInstance) {
  prometheuses.delete(p);
  await p.stop();
}

// ---------------------------------------------------------------- requests

const OVERVIEW = print(NamespaceOverviewDocument);
const overviewBody = (window = "1m") => JSON.stringify({ query: OVERVIEW, variables: { namespace: SCALE_NAMESPACE, window } });

/** One document; throws on GraphQL errors unless `tolerate` (then counted by the caller). No client-side timeout. */
async function graphql(url: string, body: string, tolerate = false): Promise<{ status: number; bytes: number; failed: boolean }> {
  const { status, text } = await new Promise<{ status: number; text: string }>((resolve, reject) => {
    const req = httpRequest(`${url}/graphql`, { method: "POST", headers: { "content-type": "application/json" } }, (res) => {
      const chunks: Buffer[] = [];
      res.on("data", (c: Buffer) => chunks.push(c));
      res.on("end", () => resolve({ status: res.statusCode ?? 0, text: Buffer.concat(chunks).toString("utf8") }));
      res.on("error", reject);
    });
    req.on("error", reject);
    req.end(body);
  });
  const failed = status !== 200 || text.includes('"errors":');
  if (failed && !tolerate) throw new Error(`GraphQL errors (${status}): ${text.slice(0, 300)}`);
  return { status, bytes: text.length, failed };
}

async function timed<T>(f: () => Promise<T>): Promise<number> {
  const started = performance.now();
  await f();
  return performance.now() - started;
}

/**
 * The floor: the document's PromQL straight to Prometheus, all at once, answers read whole;
 * uncompressed, as the gateway asks by default (fetch would ask for gzip, which costs Prometheus CPU).
 */
async function floor(url: string, queries: readonly string[]): Promise<void> {
  await Promise.all(
    queries.map(async (query) => {
      const r = await fetch(`${url}/api/v1/query`, {
        method: "POST",
        headers: { "content-type": "application/x-www-form-urlencoded", accept: "application/json", "accept-encoding": "identity" },
        body: new URLSearchParams({ query, time: T0.toFixed(3), timeout: "600s" }),
      });
      await r.arrayBuffer();
      if (r.status !== 200) throw new Error(`floor query failed ${r.status}`);
    }),
  );
}

// ---------------------------------------------------------------- CPU profile

interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
  children?: number[];
}
interface Profile {
  nodes: ProfileNode[];
  samples: number[];
  timeDeltas: number[];
}

/** Self time per function, top `count`, as shares of the busy (not idle) samples. */
function topFunctions(dir: string, count: number): { rows: string[] } {
  const file = readdirSync(dir).find((f) => f.endsWith(".cpuprofile"));
  if (!file) return { rows: ["| (no profile written) | |"] };
  const profile = JSON.parse(readFileSync(join(dir, file), "utf8")) as Profile;
  const byId = new Map(profile.nodes.map((n) => [n.id, n]));
  const self = new Map<string, number>();
  let busy = 0;
  profile.samples.forEach((id, i) => {
    const node = byId.get(id)!;
    const dt = profile.timeDeltas[i] ?? 0;
    const f = node.callFrame;
    if (f.functionName === "(idle)") return;
    const where = f.url ? `${f.url.replace(/^.*\/(node_modules\/|src\/)/, "$1")}:${f.lineNumber + 1}` : "";
    const key = `${f.functionName || "(anonymous)"} ${where}`.trim();
    self.set(key, (self.get(key) ?? 0) + dt);
    busy += dt;
  });
  const rows = [...self.entries()]
    .sort((a, b) => b[1] - a[1])
    .slice(0, count)
    .map(([k, v]) => `| ${k.replace(/\|/g, "\\|")} | ${((100 * v) / busy).toFixed(1)}% |`);
  return { rows };
}

// ---------------------------------------------------------------- parts

const report: string[] = [];
const out = (line = "") => {
  report.push(line);
  console.log(line);
};

async function floorPart(): Promise<void> {
  const names = builds.map((b) => b.name);
  out(
    `## meshql / floor, NamespaceOverview, window 1m, cache off, ${ITERATIONS} interleaved iterations after 1 warm-up; ` +
      `builds: ${names.join(", ")}`,
  );
  out();
  const each = (f: (b: string) => string) => names.map(f).join(" | ");
  const right = names.map(() => "---:|").join("");
  out(
    row(
      "Deployments",
      each((b) => `meshql ${b} median`),
      "floor median",
      each((b) => `${b} / floor`),
      each((b) => `gateway CPU / document, ${b}`),
      "backend queries",
      "answer bytes",
      each((b) => `peak RSS ${b}`),
    ),
  );
  out(`|---:|${right}---:|${right}${right}---:|---:|${right}`);
  for (const n of SIZES) {
    const prometheus = await prometheusFor(n);
    const gateways = new Map<string, Child>();
    for (const b of builds) gateways.set(b.name, await child(["--prometheus", prometheus.url], [], b));
    prometheus.resetQueries();
    const { bytes } = await graphql(gateways.get("after")!.url, overviewBody());
    const queries = prometheus.queries();
    for (const b of builds) if (b.name !== "after") await graphql(gateways.get(b.name)!.url, overviewBody());
    await floor(prometheus.url, queries);
    const contenders = [...names, "floor"];
    const times = new Map(contenders.map((c) => [c, [] as number[]]));
    const cpu0 = names.map((b) => gateways.get(b)!.cpuMs());
    for (let i = 0; i < ITERATIONS; i++) {
      for (let j = 0; j < contenders.length; j++) {
        const who = contenders[(i + j) % contenders.length]!;
        const gateway = gateways.get(who);
        times.get(who)!.push(await timed<unknown>(() => (gateway ? graphql(gateway.url, overviewBody()) : floor(prometheus.url, queries))));
      }
    }
    const peaks = names.map((b) => gateways.get(b)!.memory().peak);
    const cpu = names.map((b, i) => (gateways.get(b)!.cpuMs() - cpu0[i]!) / ITERATIONS);
    for (const g of gateways.values()) await g.stop();
    const m = names.map((b) => median(times.get(b)!));
    const f = median(times.get("floor")!);
    out(
      row(
        n,
        ...m.map(ms),
        ms(f),
        ...m.map((x) => ratio(x / f)),
        ...cpu.map(ms),
        queries.length,
        `${(bytes / 1024).toFixed(0)} KiB`,
        ...peaks.map(mib),
      ),
    );
    progress(`n=${n}: ${names.map((b, i) => `${b} ${ms(m[i]!)}`).join(", ")}, floor ${ms(f)}`);
    await stopPrometheus(prometheus);
  }
  out();
}

/** CPU profiles of each build at --profile-sizes (default 1,000). */
async function profilePart(): Promise<void> {
  for (const n of PROFILE_SIZES) {
    const prometheus = await prometheusFor(n);
    for (const b of builds) for (const line of await profileAt(n, prometheus, b)) out(line);
    await stopPrometheus(prometheus);
  }
}

async function profileAt(n: number, prometheus: PrometheusInstance, build: Build): Promise<string[]> {
  const dir = await mkdtemp(join(tmpdir(), "meshql-prof-"));
  try {
    const gateway = await child(["--prometheus", prometheus.url, "--profile-dir", dir], [], build);
    // Start-up (module loading) is not the document's: warm up, then profile only the timed documents.
    await graphql(gateway.url, overviewBody());
    gateway.process.kill("SIGUSR2");
    await new Promise((r) => setTimeout(r, 200));
    const cpu0 = gateway.cpuMs();
    for (let i = 0; i < ITERATIONS; i++) await graphql(gateway.url, overviewBody());
    const cpu = (gateway.cpuMs() - cpu0) / ITERATIONS;
    await gateway.stop();
    const { rows } = topFunctions(dir, 15);
    return [
      `### CPU profile of the ${build.name} gateway at ${n} Deployments (${ITERATIONS} documents after 1 warm-up; ` +
        `${ms(cpu)} of gateway CPU per document (user + system, /proc); self time as a share of the profile's busy samples, top 15)`,
      "",
      "| function | self |",
      "|---|---:|",
      ...rows,
      "",
    ];
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

async function concurrently(url: string, bodies: readonly string[]): Promise<{ ms: number; refused: number; failed: number }> {
  let refused = 0;
  let failed = 0;
  const elapsed = await timed(() =>
    Promise.all(
      bodies.map(async (b) => {
        const r = await graphql(url, b, true);
        if (r.status === 503) refused++;
        else if (r.failed) failed++;
      }),
    ),
  );
  return { ms: elapsed, refused, failed };
}

async function identicalPart(prometheus: PrometheusInstance): Promise<void> {
  out(`## ${CONCURRENT} concurrent identical NamespaceOverview documents at ${LARGE} Deployments (cache off)`);
  out();
  out("| gateway | one document (median of 3) | 64 concurrent | 64 / one | failed | peak RSS |");
  out("|---|---:|---:|---:|---:|---:|");
  for (const [name, flags] of [
    ["each executed (before: --no-sharing, no limit)", ["--no-sharing", "--max-concurrent", "0"]],
    ["shared execution (after)", []],
  ] as const) {
    const gateway = await child(["--prometheus", prometheus.url, ...flags]);
    const one: number[] = [];
    for (let i = 0; i < 3; i++) one.push(await timed(() => graphql(gateway.url, overviewBody())));
    const all = await concurrently(
      gateway.url,
      Array.from({ length: CONCURRENT }, () => overviewBody()),
    );
    out(
      `| ${name} | ${ms(median(one))} | ${ms(all.ms)} | ${ratio(all.ms / median(one))} | ${all.failed + all.refused} | ` +
        `${mib(gateway.memory().peak)} |`,
    );
    await gateway.stop();
  }
  out();
}

async function memoryPart(prometheus: PrometheusInstance): Promise<void> {
  // Distinct documents: windows 60s..123s, so nothing is shared.
  const bodies = Array.from({ length: CONCURRENT }, (_, i) => overviewBody(`${60 + i}s`));
  out(`## ${CONCURRENT} concurrent distinct NamespaceOverview documents at ${LARGE} Deployments (cache off)`);
  out();
  out("| gateway | wall | refused (503) | failed otherwise (backend timeouts) | peak RSS |");
  out("|---|---:|---:|---:|---:|");
  for (const [name, limit] of [
    ["no limit (before)", "0"],
    ["--max-concurrent-documents 16 (default)", "16"],
  ] as const) {
    const gateway = await child(["--prometheus", prometheus.url, "--max-concurrent", limit]);
    await graphql(gateway.url, overviewBody());
    const r = await concurrently(gateway.url, bodies);
    out(`| ${name} | ${ms(r.ms)} | ${r.refused} | ${r.failed} | ${mib(gateway.memory().peak)} |`);
    await gateway.stop();
  }
  out();
}

interface CannonResult {
  requests: { average: number };
  non2xx: number;
  errors: number;
  statusCodeStats?: Record<string, { count: number }>;
}
const autocannon = createRequire(import.meta.url)("autocannon") as (opts: object) => Promise<CannonResult>;

async function cachedPart(prometheus: PrometheusInstance): Promise<void> {
  const small = JSON.stringify({
    query: print(ResourceMetricsDocument),
    variables: { kind: "DEPLOYMENT", namespace: SCALE_NAMESPACE, name: "svc-001", window: "1m" },
  });
  const contenders = {
    bare: { child: await child(["--bare"]), body: JSON.stringify({ query: "{ hello }" }) },
    "meshql, backend cache only (before)": {
      child: await child(["--prometheus", prometheus.url, "--cache-ttl", "600000", "--no-sharing"]),
      body: small,
    },
    "meshql, answer cache (after)": { child: await child(["--prometheus", prometheus.url, "--cache-ttl", "600000"]), body: small },
  };
  const rps: Record<string, number[]> = {};
  const names = Object.keys(contenders) as Array<keyof typeof contenders>;
  for (const n of names) await graphql(contenders[n].child.url, contenders[n].body);
  for (let round = 0; round < 3; round++) {
    for (let j = 0; j < names.length; j++) {
      const name = names[(round + j) % names.length]!;
      const c = contenders[name];
      const r = await autocannon({
        url: `${c.child.url}/graphql`,
        method: "POST",
        headers: { "content-type": "application/json" },
        body: c.body,
        connections: 10,
        duration: CANNON_SECONDS,
      });
      if (r.non2xx || r.errors) throw new Error(`${name}: ${r.non2xx} non-2xx (${JSON.stringify(r.statusCodeStats)}), ${r.errors} errors`);
      (rps[name] ??= []).push(r.requests.average);
    }
  }
  const bare = median(rps.bare!);
  out(
    `## Cached small document (ResourceMetrics of one Deployment, n=${LARGE}) vs bare Apollo 5 + fastify \`{ hello }\`: ` +
      `autocannon, 10 connections, 3 × ${CANNON_SECONDS} s each, interleaved`,
  );
  out();
  out("| server | req/s (median) | vs bare |");
  out("|---|---:|---:|");
  for (const n of names) out(`| ${n} | ${median(rps[n]!).toFixed(0)} | ${ratio(median(rps[n]!) / bare)} |`);
  out();
  for (const n of names) await contenders[n].child.stop();
}

async function soakPart(prometheus: PrometheusInstance, n: number): Promise<void> {
  const gateway = await child(["--prometheus", prometheus.url]);
  const docs = [
    overviewBody(),
    overviewBody("2m"),
    JSON.stringify({
      query: print(ResourceMetricsDocument),
      variables: { kind: "DEPLOYMENT", namespace: SCALE_NAMESPACE, name: "svc-002", window: "1m" },
    }),
  ];
  const samples: Array<{ t: number; rss: number }> = [];
  const started = performance.now();
  let stop = false;
  let documents = 0;
  let failures = 0;
  const sampler = setInterval(() => samples.push({ t: (performance.now() - started) / 1000, rss: gateway.memory().rss }), 5000);
  const worker = async (w: number) => {
    for (let i = w; !stop; i++) {
      if ((await graphql(gateway.url, docs[i % docs.length]!, true)).failed) failures++;
      documents++;
    }
  };
  const workers = [0, 1, 2, 3].map(worker);
  await new Promise((r) => setTimeout(r, SOAK_SECONDS * 1000));
  stop = true;
  await Promise.all(workers);
  clearInterval(sampler);
  const first = samples.filter((s) => s.t <= SOAK_SECONDS / 5).map((s) => s.rss);
  const last = samples.filter((s) => s.t >= (SOAK_SECONDS * 4) / 5).map((s) => s.rss);
  out(
    `## Soak: ${SOAK_SECONDS} s of mixed documents at ${n} Deployments, 4 concurrent clients, cache off (${documents} documents, ` +
      `${failures} failed)`,
  );
  out();
  out("| RSS median, first fifth | RSS median, last fifth | last / first | peak RSS |");
  out("|---:|---:|---:|---:|");
  out(`| ${mib(median(first))} | ${mib(median(last))} | ${ratio(median(last) / median(first))} | ${mib(gateway.memory().peak)} |`);
  out();
  await gateway.stop();
}

// ---------------------------------------------------------------- main

async function main() {
  const load0 = loadavg();
  const began = performance.now();
  if ((PARTS.has("floor") || PARTS.has("profile")) && !args["no-before"]) {
    const base = args.before ?? execFileSync("git", ["merge-base", "HEAD", "main"], { cwd: ROOT, encoding: "utf8" }).trim();
    progress(`building "before" from ${base}`);
    builds.push(buildGateway("before", base));
    buildFacts.push(`before = ${base.slice(0, 10)} (tsc of its src/ and test/support)`);
  }
  progress('building "after" from the working tree');
  builds.push(buildGateway("after", null));
  buildFacts.push(
    `after = the working tree at ${execFileSync("git", ["rev-parse", "--short", "HEAD"], { cwd: ROOT, encoding: "utf8" }).trim()}`,
  );
  if (PARTS.has("floor")) await floorPart();
  if (PARTS.has("profile")) await profilePart();
  if (["identical", "memory", "cached", "soak"].some((p) => PARTS.has(p))) {
    const prometheus = await prometheusFor(LARGE);
    if (PARTS.has("identical")) await identicalPart(prometheus);
    if (PARTS.has("memory")) await memoryPart(prometheus);
    if (PARTS.has("cached")) await cachedPart(prometheus);
    if (PARTS.has("soak")) await soakPart(prometheus, LARGE);
    await stopPrometheus(prometheus);
  }
  out("## Machine");
  out();
  out(`- ${availableParallelism()} CPUs, node ${process.version}; shared with other work`);
  out(
    `- load average (1/5/15 min) at start ${load0.map((x) => x.toFixed(2)).join(" / ")}, at end ${loadavg()
      .map((x) => x.toFixed(2))
      .join(" / ")}`,
  );
  out(`- gateways compiled with tsc, run as plain JS: ${buildFacts.join("; ")}`);
  out(`- total ${((performance.now() - began) / 1000).toFixed(0)} s`);
}

try {
  await main();
} catch (e) {
  process.exitCode = 1;
  console.error(e);
} finally {
  await cleanup();
}
