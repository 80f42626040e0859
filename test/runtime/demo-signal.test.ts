// `meshql demo` stopped by SIGTERM in the middle of its backfill: it exits
// promptly, leaves no promtool or prometheus behind, and removes its
// temporary directory. The demo runs as users run it (bin/meshql.js), with
// TMPDIR pointed at a directory of the test's own.

import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, describe, it } from "node:test";
import { fileURLToPath } from "node:url";
import { freePort } from "../harness/prometheus.ts";

const BIN = fileURLToPath(new URL("../../bin/meshql.js", import.meta.url));
const scratch = mkdtempSync(join(tmpdir(), "meshql-demo-signal-"));

after(() => rmSync(scratch, { recursive: true, force: true }));

/** Processes whose command line mentions `text` (Linux /proc). */
function processesMentioning(text: string): string[] {
  const found: string[] = [];
  for (const pid of readdirSync("/proc").filter((p) => /^\d+$/.test(p))) {
    try {
      const cmdline = readFileSync(`/proc/${pid}/cmdline`, "utf8").replaceAll("\0", " ");
      if (cmdline.includes(text)) found.push(`${pid}: ${cmdline}`);
    } catch {
      // gone meanwhile
    }
  }
  return found;
}

describe("meshql demo and signals", () => {
  it("SIGTERM during the backfill stops promtool, removes the temporary directory and exits 143, as interrupted", async () => {
    const port = await freePort();
    const child = spawn(process.execPath, [BIN, "demo", "--listen", `127.0.0.1:${port}`], {
      env: { PATH: process.env.PATH ?? "", HOME: scratch, TMPDIR: scratch, KUBECONFIG: "" },
      stdio: ["ignore", "ignore", "pipe"],
    });
    let stderr = "";
    child.stderr.on("data", (d: Buffer) => (stderr += d.toString()));
    const exited = new Promise<{ code: number | null; signal: string | null }>((resolve) =>
      child.once("exit", (code, signal) => resolve({ code, signal })),
    );
    try {
      // The backfill has begun once promtool runs on the demo's directory.
      let dir: string | null = null;
      for (let i = 0; i < 1500 && !(dir && processesMentioning(join(dir, "data")).length > 0); i++) {
        const name = readdirSync(scratch).find((n) => n.startsWith("meshql-demo-"));
        dir = name ? join(scratch, name) : null;
        await new Promise((resolve) => setTimeout(resolve, 20));
      }
      assert.ok(dir && processesMentioning(join(dir, "data")).length > 0, `promtool started: ${stderr}`);
      const stopped = performance.now();
      child.kill("SIGTERM");
      const { code, signal } = await exited;
      assert.equal(signal, null, "it handled the signal itself");
      assert.equal(code, 143, stderr);
      assert.ok(performance.now() - stopped < 10_000, "exited promptly");
      await new Promise((resolve) => setTimeout(resolve, 300));
      assert.deepEqual(processesMentioning(dir), [], "no promtool or prometheus left behind");
      assert.equal(existsSync(dir), false, "the temporary directory is gone");
    } finally {
      child.kill("SIGKILL");
    }
  });
});
