// Live subscriptions: backend queries and gateway CPU per interval at 1, 100
// and 1,000 identical subscribers to one namespace view. The gateway runs in
// this process; the subscribers run in a child process (this file with
// --clients), so the CPU measured is the gateway's alone.
//
//   node --import tsx bench/subscriptions.ts [--rounds R] [--intervals K]

import { spawn } from "node:child_process";
import { cpus, loadavg } from "node:os";
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";
import { windowOfSeconds } from "../src/domain/window.ts";
import { linkerd } from "../src/demo/traffic/linkerd.ts";
import { buildModel } from "../src/demo/traffic/model.ts";
import { SCALE_HISTORY, SCALE_NAMESPACE, scaleTopology } from "../test/fixtures/topology.ts";
import { LiveResourcesDocument } from "../test/generated/graphql.ts";
import { startPrometheus } from "../test/harness/prometheus.ts";
import { testGateway } from "../test/support/gateway.ts";
import { liveClient, record } from "../test/support/live.ts";

const { values } = parseArgs({
  options: {
    clients: { type: "string" },
    url: { type: "string" },
    rounds: { type: "string", default: "3" },
    intervals: { type: "string", default: "5" },
  },
});
const PER_CONNECTION = 100;
const WORKLOADS = 30;
const VARIABLES = { kind: "DEPLOYMENT", namespace: SCALE_NAMESPACE, window: "1m" } as const;

if (values.clients) await runClients(values.url!, Number(values.clients));
else await main(Number(values.rounds), Number(values.intervals));

/** Child: N subscribers on ceil(N/100) connections; "ready" once each has an event, then its event count on request. */
async function runClients(url: string, n: number): Promise<void> {
  const connections = Array.from({ length: Math.ceil(n / PER_CONNECTION) }, () => liveClient(url));
  const streams = Array.from({ length: n }, (_, i) =>
    record(connections[Math.floor(i / PER_CONNECTION)]!, LiveResourcesDocument, VARIABLES),
  );
  await Promise.all(streams.map((s) => s.until(1, 120_000)));
  const events = (): number => streams.reduce((a, s) => a + s.events.length, 0);
  process.stdout.write(`ready ${events()}\n`);
  process.stdin.on("data", () => process.stdout.write(`events ${events()}\n`));
  process.stdin.on("end", () => void Promise.all(connections.map((c) => c.dispose())).then(() => process.exit(0)));
}

async function main(rounds: number, intervals: number): Promise<void> {
  const prometheus = await startPrometheus({ model: buildModel(scaleTopology(WORKLOADS)), formats: [linkerd], ...SCALE_HISTORY });
  const gateway = await testGateway(prometheus.url, "linkerd", {
    scrapeInterval: windowOfSeconds(1),
    queryTimeoutMs: 60_000,
    subscriptions: { maxConnections: 100, maxSubscriptionsPerConnection: PER_CONNECTION },
  });
  const url = await gateway.app.listen({ host: "127.0.0.1", port: 0 });
  const stop = async (): Promise<void> => {
    await gateway.close();
    await prometheus.stop();
  };
  process.once("SIGINT", () => void stop().then(() => process.exit(130)));
  process.once("SIGTERM", () => void stop().then(() => process.exit(143)));
  const sizes = [1, 100, 1000];
  const samples = new Map<number, Array<{ queries: number; runs: number; cpuMs: number; events: number }>>(sizes.map((n) => [n, []]));
  const runs = async (): Promise<number> => (await gateway.metrics.subscriptionRuns.get()).values[0]?.value ?? 0;
  try {
    for (let round = 0; round < rounds; round++) {
      const order = sizes.map((_, i) => sizes[(i + round) % sizes.length]!);
      for (const n of order) {
        process.stderr.write(`round ${round + 1}/${rounds}: ${n} subscribers\n`);
        const child = spawn(process.execPath, ["--import", "tsx", fileURLToPath(import.meta.url), "--clients", String(n), "--url", url], {
          stdio: ["pipe", "pipe", "inherit"],
        });
        const lines = lineReader(child.stdout);
        await lines.next("ready");
        // Start on a boundary: the runs of `intervals` whole intervals.
        await sleep(1000 - (Date.now() % 1000) + 600);
        child.stdin.write("\n");
        const events0 = Number((await lines.next("events")).split(" ")[1]);
        prometheus.resetQueries();
        const [runs0, cpu0] = [await runs(), process.cpuUsage()];
        await sleep(intervals * 1000);
        const cpu = process.cpuUsage(cpu0);
        const [runs1, queries] = [await runs(), prometheus.queries().length];
        child.stdin.write("\n");
        const events1 = Number((await lines.next("events")).split(" ")[1]);
        child.stdin.end();
        await new Promise((resolve) => child.once("exit", resolve));
        samples.get(n)!.push({
          queries: queries / intervals,
          runs: (runs1 - runs0) / intervals,
          cpuMs: (cpu.user + cpu.system) / 1000 / intervals,
          events: (events1 - events0) / intervals,
        });
      }
    }
  } finally {
    await stop();
  }

  const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[Math.floor((xs.length - 1) / 2)]!;
  const base = median(samples.get(1)!.map((s) => s.cpuMs));
  console.log(
    `# Live subscriptions: LiveResources (one namespace view with metrics) on ${WORKLOADS} Deployments, every 1s, ${intervals} ` +
      `intervals x ${rounds} rounds (medians)\n`,
  );
  console.log(
    `CPUs: ${cpus().length} x ${cpus()[0]?.model ?? "?"}; node ${process.version}; load ${loadavg()
      .map((l) => l.toFixed(2))
      .join(" ")}\n`,
  );
  console.log(
    "| subscribers | events / interval | executions / interval | backend queries / interval | gateway CPU ms / interval | CPU vs " +
      "1 | CPU ms / event |",
  );
  console.log("| ---: | ---: | ---: | ---: | ---: | ---: | ---: |");
  for (const n of sizes) {
    const s = samples.get(n)!;
    const [cpu, events] = [median(s.map((x) => x.cpuMs)), median(s.map((x) => x.events))];
    const cells = [
      n,
      events.toFixed(1),
      median(s.map((x) => x.runs)).toFixed(1),
      median(s.map((x) => x.queries)).toFixed(1),
      cpu.toFixed(1),
      `${(cpu / base).toFixed(1)}x`,
      (cpu / events).toFixed(2),
    ];
    console.log(`| ${cells.join(" | ")} |`);
  }
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/** The child's stdout, one awaited line at a time. */
function lineReader(stream: NodeJS.ReadableStream): { next(prefix: string): Promise<string> } {
  const lines: string[] = [];
  const waiting: Array<() => void> = [];
  let buffer = "";
  stream.on("data", (chunk: Buffer) => {
    buffer += chunk.toString();
    const parts = buffer.split("\n");
    buffer = parts.pop()!;
    lines.push(...parts);
    for (const w of waiting.splice(0)) w();
  });
  return {
    async next(prefix) {
      for (;;) {
        const i = lines.findIndex((l) => l.startsWith(prefix));
        if (i >= 0) return lines.splice(0, i + 1)[i]!;
        await new Promise<void>((resolve) => waiting.push(resolve));
      }
    },
  };
}
