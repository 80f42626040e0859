// SIGTERM on `meshql serve` (bin/meshql.js in a child process): every live
// stream gets its `complete`, every connection a 1001 close, and the process
// exits 0.

import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, it } from "node:test";
import { fileURLToPath } from "node:url";
import { freePort, startPrometheus, type PrometheusInstance } from "../harness/prometheus.ts";
import { liveClient, record } from "../support/live.ts";

const BIN = fileURLToPath(new URL("../../bin/meshql.js", import.meta.url));
const home = mkdtempSync(join(tmpdir(), "meshql-sigterm-"));
let prometheus: PrometheusInstance;

before(async () => {
  prometheus = await startPrometheus({});
});

after(async () => {
  await prometheus?.stop();
  rmSync(home, { recursive: true, force: true });
});

it("closes every stream cleanly on SIGTERM, then exits 0", async () => {
  const port = await freePort();
  const child = spawn(process.execPath, [BIN, "serve", "--mesh", "linkerd", "--prometheus-url", prometheus.url, "--listen", `127.0.0.1:${port}`], {
    env: { PATH: process.env.PATH ?? "", HOME: home, KUBECONFIG: "" },
    stdio: ["ignore", "ignore", "pipe"],
  });
  let stderr = "";
  child.stderr.on("data", (d: Buffer) => (stderr += d.toString()));
  const exited = new Promise<number | null>((resolve) => child.once("exit", resolve));
  const base = `http://127.0.0.1:${port}`;
  for (let i = 0; i < 100 && !(await fetch(`${base}/readyz`).catch(() => null)); i++) await new Promise((r) => setTimeout(r, 200));

  const live = liveClient(base, { lazy: false });
  try {
    const streams = [
      record(live, "subscription { resources(kind: NAMESPACE) { name } }", {}),
      record(live, "subscription { resources(kind: DEPLOYMENT) { name } }", {}),
    ];
    await Promise.all(streams.map((s) => s.until(1)));
    assert.deepEqual(streams[0]!.events[0]!.data, { resources: [] }, stderr);
    child.kill("SIGTERM");
    for (const s of streams) assert.deepEqual(await s.ended, { how: "complete" });
    assert.equal(await exited, 0, stderr);
    assert.equal(live.closes[0]?.code, 1001);
  } finally {
    child.kill("SIGKILL");
    await live.dispose();
  }
});
