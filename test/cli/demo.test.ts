// `meshql demo` on its first run: the port is checked before the setup, Ctrl-C
// during the setup leaves no meshql-demo-* directory behind, and the printed
// `meshql stat` line works when pasted into a shell.

import assert from "node:assert/strict";
import { spawn, spawnSync, type ChildProcess } from "node:child_process";
import { mkdtempSync, readdirSync, rmSync } from "node:fs";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, describe, it } from "node:test";
import { freePort } from "../harness/prometheus.ts";
import { BIN, cleanEnv, meshql } from "./support.ts";

const home = mkdtempSync(join(tmpdir(), "meshql-cli-demo-"));
after(() => rmSync(home, { recursive: true, force: true }));

/** A TMPDIR of the demo's own, so its meshql-demo-* directory can be looked for. */
function demoEnv(): { env: Record<string, string>; leftovers: () => string[] } {
  const tmp = mkdtempSync(join(home, "tmp-"));
  return { env: cleanEnv(home, { TMPDIR: tmp }), leftovers: () => readdirSync(tmp).filter((f) => f.startsWith("meshql-demo-")) };
}

function startDemo(
  port: number,
  env: Record<string, string>,
): {
  child: ChildProcess;
  output: () => { stdout: string; stderr: string };
  waitFor: (re: RegExp, ms: number) => Promise<void>;
  exited: Promise<number | null>;
} {
  const child = spawn(process.execPath, [BIN, "demo", "--listen", `127.0.0.1:${port}`], { env, stdio: ["ignore", "pipe", "pipe"] });
  let stdout = "";
  let stderr = "";
  const waiters: Array<() => void> = [];
  const poke = (): void => {
    for (const w of waiters) w();
  };
  child.stdout!.on("data", (d: Buffer) => {
    stdout += d.toString();
    poke();
  });
  child.stderr!.on("data", (d: Buffer) => {
    stderr += d.toString();
    poke();
  });
  const exited = new Promise<number | null>((resolve) => child.once("close", (code, signal) => resolve(code ?? (signal ? -1 : null))));
  return {
    child,
    output: () => ({ stdout, stderr }),
    exited,
    waitFor: (re, ms) =>
      new Promise((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error(`timed out waiting for ${re}:\n${stdout}\n${stderr}`)), ms);
        const check = (): void => {
          if (re.test(stdout + stderr)) {
            clearTimeout(timer);
            resolve();
          }
        };
        waiters.push(check);
        check();
      }),
  };
}

describe("meshql demo", () => {
  it("refuses a busy port at once, with a --listen hint, before any setup", async () => {
    const busy = createServer();
    await new Promise<void>((resolve) => busy.listen(0, "127.0.0.1", resolve));
    const port = (busy.address() as { port: number }).port;
    const { env, leftovers } = demoEnv();
    try {
      const r = await meshql(["demo", "--listen", `127.0.0.1:${port}`], env);
      assert.equal(r.status, 1, r.stderr);
      assert.match(
        r.stderr,
        new RegExp(`cannot listen on 127\\.0\\.0\\.1:${port} \\(EADDRINUSE\\): .*meshql demo --listen 127\\.0\\.0\\.1:${port + 1}`),
      );
      assert.doesNotMatch(r.stderr, /history/, "no setup step ran");
      assert.deepEqual(leftovers(), []);
    } finally {
      busy.close();
    }
  });

  it("removes its temporary directory on Ctrl-C during the setup", async () => {
    const { env, leftovers } = demoEnv();
    const demo = startDemo(await freePort(), env);
    await demo.waitFor(/meshql demo: writing history/, 30_000);
    assert.equal(leftovers().length, 1, "the demo made its directory");
    demo.child.kill("SIGINT");
    assert.equal(await demo.exited, 130, demo.output().stderr);
    assert.deepEqual(leftovers(), []);
  });

  it("prints the console URL, quoted URLs and a stat line that works when pasted; Ctrl-C cleans up", async () => {
    const { env, leftovers } = demoEnv();
    const port = await freePort();
    const demo = startDemo(port, env);
    try {
      await demo.waitFor(/Ctrl-C stops everything/, 120_000);
      const { stdout, stderr } = demo.output();
      assert.match(stderr, /meshql demo: backfilling .* \(\d+\.\d+s\)/, "progress lines");
      assert.match(stdout, new RegExp(`console +http://127\\.0\\.0\\.1:${port}/\\n`));
      for (const line of stdout.split("\n").filter((l) => l.trim().startsWith("curl "))) assert.match(line, /^ +curl -s '[^']+'/, line);
      // One window throughout the examples.
      assert.deepEqual([...new Set([...stdout.matchAll(/window[=:] ?\\?"?(\w+)/g)].map((m) => m[1]))], ["1m"]);
      const stat = stdout
        .split("\n")
        .find((l) => / stat deploy /.test(l))
        ?.trim();
      assert.ok(stat, stdout);
      const pasted = spawnSync("sh", ["-c", stat], { env, encoding: "utf8", timeout: 30_000 });
      assert.equal(pasted.status, 0, pasted.stderr);
      assert.match(pasted.stdout, /^NAME +MESHED +SUCCESS +RPS/);
      assert.match(pasted.stdout, /^web +- +\d/m);
    } finally {
      demo.child.kill("SIGINT");
    }
    assert.equal(await demo.exited, 0, demo.output().stderr);
    assert.deepEqual(leftovers(), []);
  });
});
