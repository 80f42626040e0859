// A gateway from a checkout's TypeScript source (run through tsx) in a child
// process, for benches comparing two checkouts (`--before DIR`) on one
// Prometheus. bench/scale.ts runs compiled builds instead (build.ts), because
// it measures RSS, which tsx's compiler would inflate.

import { type ChildProcess, execFileSync, spawn } from "node:child_process";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { createInterface } from "node:readline";

const TICK_MS = 1000 / Number(execFileSync("getconf", ["CLK_TCK"], { encoding: "utf8" }).trim());

export interface SourceGateway {
  readonly url: string;
  readonly process: ChildProcess;
  /** The process' CPU time so far (user + system) in ms, from /proc/PID/stat, in clock ticks of `tickMs`. */
  cpuMs(): number;
  readonly tickMs: number;
}

const started: ChildProcess[] = [];

/** Starts root's bench/support/gateway-process.ts with `flags` and resolves when it listens. */
export async function startSourceGateway(root: string, flags: readonly string[]): Promise<SourceGateway> {
  const p = spawn(process.execPath, ["--import", "tsx", join(root, "bench/support/gateway-process.ts"), ...flags], {
    stdio: ["ignore", "pipe", "inherit"],
    cwd: root,
  });
  started.push(p);
  const line = await new Promise<string>((resolve, reject) => {
    createInterface({ input: p.stdout! }).once("line", resolve);
    p.once("exit", (code) => reject(new Error(`gateway in ${root} exited with ${code}`)));
  });
  return {
    url: (JSON.parse(line) as { url: string }).url,
    process: p,
    tickMs: TICK_MS,
    cpuMs: () => {
      const stat = readFileSync(`/proc/${p.pid}/stat`, "utf8");
      // utime and stime are fields 14 and 15, counted after the parenthesized command name.
      const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
      return (Number(fields[11]) + Number(fields[12])) * TICK_MS;
    },
  };
}

/** Stops every gateway this process started. */
export function stopSourceGateways(): void {
  for (const p of started) if (p.exitCode === null) p.kill("SIGTERM");
}
