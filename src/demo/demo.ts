// `meshql demo`: everything on loopback, no cluster. A live traffic generator
// (emojivoto and a storefront) is scraped by Debian's prometheus, which also gets an hour of
// backfilled history, and the gateway serves it.

import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { parseArgs } from "node:util";
import { UsageError, parseListen } from "../cli/options.ts";
import { windowOfSeconds } from "../domain/window.ts";
import type { MeshName } from "../mesh/adapter.ts";
import { createGateway } from "../server/gateway.ts";
import { createLogger } from "../server/log.ts";
import { demoTopology } from "../traffic/demo-topology.ts";
import { demoFormat, demoFormats } from "../traffic/formats.ts";
import { startLive } from "../traffic/live.ts";
import { buildModel } from "../traffic/model.ts";
import { writeOpenMetrics } from "../traffic/openmetrics.ts";
import { createBlocks, findBinary, startPrometheusServer } from "./prometheus.ts";

const SCRAPE_SECONDS = 5;
const HISTORY_SECONDS = 3600;
/**
 * History older than the last few minutes is kept every 30s: at the scrape
 * interval, an hour of the demo's 34 workloads is over a gigabyte of text for
 * promtool. 30s still puts two samples in every window of a minute or more.
 */
const COARSE_STEP = 30;
const FINE_SECONDS = 120;
/** Generously more than writing the history, backfilling it and starting Prometheus take. */
const STARTUP_SECONDS = 60;

export async function runDemo(argv: string[]): Promise<void> {
  let values: { mesh?: string; listen?: string };
  try {
    values = parseArgs({ args: argv, options: { mesh: { type: "string" }, listen: { type: "string" } }, strict: true }).values;
  } catch (e) {
    throw new UsageError(e instanceof Error ? e.message.split("\n")[0]! : String(e));
  }
  const meshes = demoFormats();
  const mesh = (values.mesh ?? "linkerd") as MeshName;
  if (!meshes.includes(mesh)) throw new UsageError(`--mesh must be one of ${meshes.join(", ")}, not ${JSON.stringify(values.mesh)}`);
  const { host, port } = parseListen(values.listen ?? "127.0.0.1:8080");
  findBinary("prometheus");
  findBinary("promtool");

  const format = demoFormat(mesh);
  const model = buildModel(demoTopology);
  const dir = await mkdtemp(join(tmpdir(), "meshql-demo-"));
  const cleanup: Array<() => Promise<void>> = [() => rm(dir, { recursive: true, force: true })];
  const shutdown = async (): Promise<void> => {
    for (const step of cleanup.reverse()) await step().catch(() => {});
  };
  // Signals during setup (the backfill takes seconds) stop it, kill promtool and remove the directory too.
  const setup = new AbortController();
  let running = false;
  const stop = (): void => {
    setup.abort(new DemoStopped());
    if (running) void shutdown().then(() => process.exit(0));
  };
  process.once("SIGINT", stop);
  process.once("SIGTERM", stop);
  try {
    const live = await startLive({ model, formats: [format] });
    cleanup.push(() => live.close());

    // The last hour, so windows of an hour and `at` in the past work at once. It
    // reaches a little past start-up: a gap before the first scrape would make short
    // windows read low. Prometheus refuses scraped samples older than its newest
    // block, so the block's samples (the same counters as the live endpoint's)
    // serve until then, and scrapes continue the same series.
    const now = Math.floor(Date.now() / 1000 / SCRAPE_SECONDS) * SCRAPE_SECONDS;
    const end = now + STARTUP_SECONDS;
    const dataDir = join(dir, "data");
    const fineStart = now - FINE_SECONDS;
    const segments = [
      { start: fineStart - Math.floor((HISTORY_SECONDS - FINE_SECONDS) / COARSE_STEP) * COARSE_STEP, end: fineStart - COARSE_STEP, step: COARSE_STEP },
      { start: fineStart, end, step: SCRAPE_SECONDS },
    ];
    for (const [i, range] of segments.entries()) {
      const history = join(dir, `history-${i}.om`);
      await writeOpenMetrics(history, model, [format], range);
      setup.signal.throwIfAborted();
      await createBlocks(history, dataDir, setup.signal);
      await rm(history);
      setup.signal.throwIfAborted();
    }

    const prometheus = await startPrometheusServer({ home: dir, dataDir, config: scrapeConfig(new URL(live.url)) });
    cleanup.push(() => prometheus.stop());

    const gateway = await createGateway({
      mesh,
      prometheusUrl: prometheus.url,
      defaultWindow: windowOfSeconds(30),
      scrapeInterval: windowOfSeconds(SCRAPE_SECONDS),
      seenLookback: windowOfSeconds(HISTORY_SECONDS),
      queryTimeoutMs: 10_000,
      cacheTtlMs: 2_000,
      // People watch the demo in a terminal: readable lines, one per request.
      logger: createLogger({ level: "info", format: "pretty" }),
    });
    cleanup.push(() => gateway.close());
    setup.signal.throwIfAborted();
    const address = await gateway.app.listen({ host, port });
    console.log(examples(address, prometheus.url, mesh));
    running = true;
  } catch (e) {
    await shutdown();
    if (setup.signal.aborted) process.exit(0);
    throw e;
  }
}

class DemoStopped extends Error {
  override readonly name = "DemoStopped";
  constructor() {
    super("meshql demo: stopped by a signal during setup");
  }
}

function scrapeConfig(target: URL): string {
  // honor_labels keeps the generator's job and instance (as the backfill has them),
  // so the scraped series continue the backfilled ones.
  return `global:
  scrape_interval: ${SCRAPE_SECONDS}s
  evaluation_interval: ${SCRAPE_SECONDS}s
scrape_configs:
  - job_name: meshql-demo-proxies
    metrics_path: ${target.pathname}
    honor_labels: true
    static_configs:
      - targets: ["${target.host}"]
`;
}

function examples(address: string, prometheusUrl: string, mesh: MeshName): string {
  const smi = `${address}/apis/metrics.smi-spec.io/v1alpha1`;
  const query = `{ resources(kind: DEPLOYMENT, namespace: \\"emojivoto\\") { name metrics(window: \\"1m\\") { requestsPerSecond successRate latency { p50 p99 } } edges { direction peer { name } metrics { requestCount } } } }`;
  return `
meshql demo is running (${mesh} metrics of emojivoto: vote-bot -> web -> emoji, voting; and storefront, 30 workloads).
  Console    ${address}/
  GraphQL    ${address}/graphql    (open it in a browser for the IDE)
  SMI REST   ${smi}
  Prometheus ${prometheusUrl}
  probes     ${address}/readyz?verbose   gateway metrics ${address}/metrics

Try:
  curl -s ${address}/graphql -H 'content-type: application/json' \\
    -d '{"query":"${query}"}'
  curl -s ${smi}/namespaces/emojivoto/deployments
  curl -s ${smi}/namespaces/emojivoto/deployments/web/edges?window=5m
  kubectl --server ${address} get --raw /apis/metrics.smi-spec.io/v1alpha1/namespaces/emojivoto/deployments/web

Ctrl-C stops everything.
`;
}
