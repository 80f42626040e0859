// `meshql demo`: everything on loopback, no cluster. A live traffic generator
// (emojivoto and a storefront of 30 workloads) is scraped by Debian's prometheus, which also gets an hour of
// backfilled history, and the gateway serves it.

import { mkdtemp, rm } from "node:fs/promises";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { basename, join } from "node:path";
import { CliError, EXIT } from "../cli/errors.ts";
import { UsageError, parseListen } from "../cli/options.ts";
import { windowOfSeconds } from "../domain/window.ts";
import type { MeshName } from "../mesh/adapter.ts";
import { demoTopology } from "./traffic/demo-topology.ts";
import { demoFormat, demoFormats } from "./traffic/formats.ts";
import { startLive } from "./traffic/live.ts";
import { buildModel } from "./traffic/model.ts";
import { writeOpenMetrics } from "./traffic/openmetrics.ts";
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
/** The one window of the printed examples. */
const EXAMPLE_WINDOW = "1m";

export interface DemoFlags {
  readonly mesh: string;
  readonly listen: string;
}

export async function runDemo(flags: DemoFlags): Promise<void> {
  const meshes = demoFormats();
  const mesh = flags.mesh as MeshName;
  if (!meshes.includes(mesh)) throw new UsageError(`--mesh must be one of ${meshes.join(", ")}, not ${JSON.stringify(flags.mesh)}`);
  const { host, port } = parseListen(flags.listen);
  findBinary("prometheus");
  findBinary("promtool");
  // Before the setup, so a busy port costs a second, not the whole setup.
  await ensureFree(host, port);

  const started = performance.now();
  const progress = (line: string): void =>
    void process.stderr.write(`meshql demo: ${line} (${((performance.now() - started) / 1000).toFixed(1)}s)\n`);
  const dir = await mkdtemp(join(tmpdir(), "meshql-demo-"));
  const cleanup: Array<() => Promise<void>> = [() => rm(dir, { recursive: true, force: true })];
  const shutdown = async (): Promise<void> => {
    for (const step of cleanup.reverse()) await step().catch(() => {});
  };
  // Ctrl-C during the setup stops the step in progress, then removes everything
  // made so far. One handler throughout, kept (`on`, not `once`): a dependency
  // listens for signals too, and re-raises one that nobody else handles.
  const abort = new AbortController();
  const setup = start(mesh, dir, cleanup, abort.signal, progress, host, port);
  let ready = false;
  let stopping = false;
  // Stopped once running: a clean exit. Interrupted during the setup: 128 + the signal's number, as shells report it.
  const onSignal = (signal: NodeJS.Signals): void => {
    if (stopping) return;
    stopping = true;
    if (!ready) abort.abort();
    void setup
      .catch(() => {})
      .then(shutdown)
      .then(() => process.exit(ready ? 0 : signal === "SIGINT" ? 130 : 143));
  };
  process.on("SIGINT", onSignal);
  process.on("SIGTERM", onSignal);
  let running: { address: string; prometheusUrl: string };
  try {
    running = await setup;
  } catch (e) {
    if (abort.signal.aborted) return;
    await shutdown();
    throw e;
  }
  // A signal during the last step: onSignal is shutting down already.
  if (abort.signal.aborted) return;
  ready = true;
  progress("ready");
  console.log(examples(running.address, running.prometheusUrl, mesh));
}

async function start(
  mesh: MeshName,
  dir: string,
  cleanup: Array<() => Promise<void>>,
  signal: AbortSignal,
  progress: (line: string) => void,
  host: string,
  port: number,
): Promise<{ address: string; prometheusUrl: string }> {
  const format = demoFormat(mesh);
  const model = buildModel(demoTopology);
  progress("starting the traffic generator");
  const live = await startLive({ model, formats: [format] });
  cleanup.push(() => live.close());
  signal.throwIfAborted();

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
    {
      what: "the hour before, every 30s",
      start: fineStart - Math.floor((HISTORY_SECONDS - FINE_SECONDS) / COARSE_STEP) * COARSE_STEP,
      end: fineStart - COARSE_STEP,
      step: COARSE_STEP,
    },
    { what: "the last minutes, every scrape", start: fineStart, end, step: SCRAPE_SECONDS },
  ];
  for (const [i, range] of segments.entries()) {
    const history = join(dir, `history-${i}.om`);
    progress(`writing history: ${range.what}`);
    await writeOpenMetrics(history, model, [format], range);
    signal.throwIfAborted();
    progress("backfilling it into Prometheus blocks (promtool, the longest step)");
    await createBlocks(history, dataDir, signal);
    await rm(history);
    signal.throwIfAborted();
  }

  progress("starting Prometheus");
  const prometheus = await startPrometheusServer({ home: dir, dataDir, config: scrapeConfig(new URL(live.url)) });
  cleanup.push(() => prometheus.stop());
  signal.throwIfAborted();

  progress("starting the gateway");
  const { createGateway } = await import("../server/gateway.ts");
  const { createLogger } = await import("../server/log.ts");
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
  const address = await gateway.app.listen({ host, port });
  return { address, prometheusUrl: prometheus.url };
}

/** Fails with a --listen hint when HOST:PORT is taken. */
function ensureFree(host: string, port: number): Promise<void> {
  return new Promise((resolve, reject) => {
    const probe = createServer();
    probe.once("error", (e: NodeJS.ErrnoException) => {
      const next = `${host.includes(":") ? `[${host}]` : host}:${port === 0 ? 0 : port + 1}`;
      reject(
        new CliError(
          `cannot listen on ${host}:${port} (${e.code ?? e.message}): stop what uses it, or pass another address, e.g. meshql ` +
            `demo --listen ${next}`,
          EXIT.usage,
        ),
      );
    });
    probe.listen(port, host, () => probe.close(() => resolve()));
  });
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

/** How to run this same meshql again: `meshql` when installed by that name, else node and this script. */
function meshqlCommand(): string {
  const script = process.argv[1] ?? "meshql";
  if (basename(script) === "meshql") return "meshql";
  return `node '${script.replaceAll("'", "'\\''")}'`;
}

export function examples(address: string, prometheusUrl: string, mesh: MeshName): string {
  const smi = `${address}/apis/metrics.smi-spec.io/v1alpha1`;
  const w = EXAMPLE_WINDOW;
  const query =
    `{ resources(kind: DEPLOYMENT, namespace: \\"emojivoto\\") { name metrics(window: \\"${w}\\") { requestsPerSecond successRate ` +
    `latency { p50 p99 } } edges(window: \\"${w}\\") { direction peer { name } metrics { requestCount } } } }`;
  return `
meshql demo is running (${mesh} metrics of emojivoto: vote-bot -> web -> emoji, voting; and storefront, 30 workloads).
  console    ${address}/
  GraphQL    ${address}/graphql    (introspection on: point any GraphQL IDE at it)
  SMI REST   ${smi}
  Prometheus ${prometheusUrl}
  probes     ${address}/readyz?verbose   gateway metrics ${address}/metrics

Try:
  ${meshqlCommand()} stat deploy -n emojivoto -t ${w} --server ${address}
  curl -s '${address}/graphql' -H 'content-type: application/json' \\
    -d '{"query":"${query}"}'
  curl -s '${smi}/namespaces/emojivoto/deployments?window=${w}'
  curl -s '${smi}/namespaces/emojivoto/deployments/web/edges?window=${w}'
  kubectl --server ${address} get --raw '/apis/metrics.smi-spec.io/v1alpha1/namespaces/emojivoto/deployments/web?window=${w}'

Ctrl-C stops everything.
`;
}
