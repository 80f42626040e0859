// `meshql top`: the traffic between the workloads of a namespace, busiest
// first, refreshed in place until q (or Ctrl-C).

import { KIND_INFO } from "../domain/kinds.ts";
import { connect, type GatewayClient } from "./client.ts";
import { CliError } from "./errors.ts";
import { count, latency, percent, rps, tls } from "./format.ts";
import { kindOf } from "./kinds.ts";
import { UsageError } from "./options.ts";
import { table } from "./output.ts";
import { scopeOf, type QueryFlags, type Scope } from "./query-flags.ts";
import { EDGES_LIST, type EdgesListResult, type EdgesListVariables } from "./queries.ts";
import { traffic } from "./rows.ts";

export interface TopFlags extends QueryFlags {
  readonly interval: string;
}

const HEAD = ["SRC", "DST", "REQUESTS", "RPS", "SUCCESS", "LATENCY_P50", "LATENCY_P99", "TLS"];

export function intervalMs(text: string): number {
  const m = /^(\d+(?:\.\d+)?)(ms|s|m)$/.exec(text);
  const ms = m ? Number(m[1]) * { ms: 1, s: 1000, m: 60_000 }[m[2] as "ms" | "s" | "m"] : Number.NaN;
  if (!(ms >= 500)) throw new UsageError(`--interval must be a duration of at least 500ms, such as 2s, not ${JSON.stringify(text)}`);
  return ms;
}

export async function top(kindText: string, flags: TopFlags): Promise<void> {
  const kind = kindOf(kindText);
  const every = intervalMs(flags.interval);
  const scope = scopeOf(flags);
  const client = await connect(flags);
  const vars: EdgesListVariables = {
    kind,
    namespace: KIND_INFO[kind].namespaced ? scope.namespace : null,
    window: scope.window,
    at: scope.at,
  };
  // The first frame fails loudly (exit code 2); later failures show in the frame and are retried.
  let body = await frame(client, vars, scope);
  const screen = new Screen();
  const quit = screen.onQuit();
  try {
    for (;;) {
      screen.draw(body);
      if (await Promise.race([quit, sleep(every).then(() => false)])) return;
      body = await frame(client, vars, scope).catch(
        (e: unknown) => `${header(scope)}\n\n${e instanceof CliError ? e.message : String(e)}\n`,
      );
    }
  } finally {
    screen.close();
  }
}

function header(scope: Scope): string {
  const where = scope.namespace === null ? "every namespace" : `namespace ${scope.namespace}`;
  return `meshql top: ${where}, window ${scope.window}, at ${new Date().toISOString().slice(11, 19)}Z   (q quits)`;
}

async function frame(client: GatewayClient, vars: EdgesListVariables, scope: Scope): Promise<string> {
  const data = await client.request<EdgesListResult>(EDGES_LIST, vars);
  const rows = traffic(data.resources.flatMap((r) => r.edges)).sort((a, b) => b.metrics.requestsPerSecond - a.metrics.requestsPerSecond);
  const cells = rows.map((t) => [
    t.from.namespace === vars.namespace ? t.from.name : `${t.from.namespace ?? "-"}/${t.from.name}`,
    t.to.namespace === vars.namespace ? t.to.name : `${t.to.namespace ?? "-"}/${t.to.name}`,
    count(t.metrics.requestCount),
    rps(t.metrics.requestsPerSecond),
    percent(t.metrics.successRate),
    latency(t.metrics.latency.p50),
    latency(t.metrics.latency.p99),
    tls(t.mtls),
  ]);
  return `${header(scope)}\n\n${rows.length === 0 ? "No traffic found.\n" : table(HEAD, cells)}`;
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms).unref());

/** A terminal redraws in place (alternate screen); a pipe gets one frame after another. */
class Screen {
  private readonly tty = process.stdout.isTTY === true;

  constructor() {
    if (this.tty) process.stdout.write("\x1b[?1049h\x1b[?25l");
  }

  draw(text: string): void {
    process.stdout.write(this.tty ? `\x1b[H\x1b[2J${text}` : `${text}\n`);
  }

  /** Resolves true on q, Q, Ctrl-C or the end of stdin. */
  onQuit(): Promise<true> {
    return new Promise((resolve) => {
      const stdin = process.stdin;
      if (stdin.isTTY) stdin.setRawMode(true);
      stdin.on("data", (d: Buffer) => {
        // q, or Ctrl-C, which raw mode delivers as the byte 0x03 instead of a signal.
        if (/[qQ]/.test(d.toString("utf8")) || d.includes(0x03)) resolve(true);
      });
      stdin.on("end", () => resolve(true));
      // `on`, not `once`: a listener that removes itself can leave the signal to a default handler.
      process.on("SIGINT", () => resolve(true));
    });
  }

  close(): void {
    if (process.stdin.isTTY) process.stdin.setRawMode(false);
    process.stdin.pause();
    if (this.tty) process.stdout.write("\x1b[?25h\x1b[?1049l");
  }
}
