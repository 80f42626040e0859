// The `meshql` command as users run it: bin/meshql.js in a child process.

import assert from "node:assert/strict";
import { spawn, spawnSync } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { fileURLToPath } from "node:url";
import { freePort, startPrometheus, type PrometheusInstance } from "./harness/prometheus.ts";
import { SERVE_FLAGS } from "../src/cli/options.ts";
import { liveClient, record } from "./support/live.ts";

const BIN = fileURLToPath(new URL("../bin/meshql.js", import.meta.url));
const home = mkdtempSync(join(tmpdir(), "meshql-cli-home-"));
// No kubeconfig anywhere: the command must not find a cluster on the test machine.
const env = { PATH: process.env.PATH ?? "", HOME: home, KUBECONFIG: "" };

function meshql(args: string[], extraEnv: Record<string, string> = {}) {
  return spawnSync(process.execPath, [BIN, ...args], { env: { ...env, ...extraEnv }, encoding: "utf8", timeout: 30_000 });
}

let prometheus: PrometheusInstance;
before(async () => {
  prometheus = await startPrometheus({});
});
after(async () => {
  await prometheus?.stop();
  rmSync(home, { recursive: true, force: true });
});

describe("meshql command", () => {
  it("explains every option in --help", () => {
    const r = meshql(["serve", "--help"]);
    assert.equal(r.status, 0);
    const serve = Object.entries(SERVE_FLAGS).flatMap(([name, spec]) => [`--${name}`, spec.env]);
    for (const flag of [...serve, "--kubeconfig", "--tls-cert-file", "--requestheader-client-ca-file"]) {
      assert.ok(r.stdout.includes(flag), `help mentions ${flag}`);
    }
  });

  it("--help loads none of the server's dependencies (pino, fastify, GraphQL, the Kubernetes client)", () => {
    // A module hook that names every package module the command loads, on stderr.
    const hook = `export async function resolve(s, c, next) {
      const r = await next(s, c);
      if (r.url.includes("/node_modules/")) process.stderr.write("loaded " + r.url + "\\n");
      return r;
    }`;
    const dataUrl = (source: string): string => `data:text/javascript,${encodeURIComponent(source)}`;
    const register = `import { register } from "node:module"; register(${JSON.stringify(dataUrl(hook))});`;
    const r = spawnSync(process.execPath, ["--import", dataUrl(register), BIN, "--help"], {
      env,
      encoding: "utf8",
      timeout: 30_000,
    });
    assert.equal(r.status, 0, r.stderr);
    assert.match(r.stderr, /loaded .*\/node_modules\/commander\//, "the hook sees the modules the command loads");
    const heavy = /\/node_modules\/(pino|pino-pretty|fastify|graphql|@apollo|@kubernetes)\//;
    assert.deepEqual(
      r.stderr.split("\n").filter((l) => heavy.test(l)),
      [],
    );
  });

  const wrong: Array<[string, string[], Record<string, string>]> = [
    ["an unknown option", ["serve", "--bogus"], {}],
    ["an unknown mesh", ["serve", "--mesh", "kuma"], {}],
    ["an unknown mesh from the environment", ["serve"], { MESHQL_MESH: "kuma" }],
    ["a bad listen address", ["serve", "--listen", "nowhere"], {}],
    ["a bad window", ["serve", "--default-window", "0s"], {}],
    ["a default window below two scrapes", ["serve", "--default-window", "30s", "--scrape-interval", "20s"], {}],
    ["an unknown log level", ["serve", "--log-level", "loud"], {}],
    ["an unknown log format from the environment", ["serve"], { MESHQL_LOG_FORMAT: "xml" }],
    ["a TLS certificate without a key", ["serve", "--tls-cert-file", "/tmp/x.crt"], {}],
    ["an unknown command", ["frobnicate"], {}],
  ];
  for (const [what, args, extra] of wrong) {
    it(`answers ${what} with one line and exit code 1`, () => {
      const r = meshql(args, extra);
      assert.equal(r.status, 1, r.stderr);
      assert.equal(r.stderr.trim().split("\n").length, 1, r.stderr);
      assert.match(r.stderr, /^meshql: .*\(see meshql --help\)$/m);
    });
  }

  it("serves from its environment variables, with /readyz following the backend, logging JSON lines when not on a terminal", async () => {
    const port = await freePort();
    const child = spawn(process.execPath, [BIN, "serve"], {
      env: { ...env, MESHQL_MESH: "linkerd", MESHQL_PROMETHEUS_URL: prometheus.url, MESHQL_LISTEN: `127.0.0.1:${port}` },
      stdio: ["ignore", "pipe", "pipe"],
    });
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (d: Buffer) => (stdout += d.toString()));
    child.stderr.on("data", (d: Buffer) => (stderr += d.toString()));
    try {
      const base = `http://127.0.0.1:${port}`;
      let ready: Response | null = null;
      for (let i = 0; i < 100 && !ready; i++) {
        ready = await fetch(`${base}/readyz?verbose`).catch(() => null);
        if (!ready) await new Promise((r) => setTimeout(r, 200));
      }
      assert.ok(ready, `the server came up: ${stderr}${stdout}`);
      assert.equal(ready.status, 200);
      assert.match(await ready.text(), /\[\+\]mesh ok: linkerd/);
      const gql = await fetch(`${base}/graphql`, {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify({ query: "{ resources(kind: NAMESPACE) { name } }" }),
      });
      assert.deepEqual(await gql.json(), { data: { resources: [] } });
      const metrics = await (await fetch(`${base}/metrics`)).text();
      assert.match(metrics, /^meshql_backend_queries_total\{outcome="ok"\} [1-9]/m);
      assert.match(metrics, /^meshql_backend_query_duration_seconds_count\{outcome="ok"\} [1-9]/m);
    } finally {
      child.kill("SIGTERM");
      await new Promise((resolve) => child.once("exit", resolve));
    }
    // Read once the process is gone: a line is written after its response is sent.
    const lines = stdout
      .trim()
      .split("\n")
      .map((l) => JSON.parse(l) as { level: number; msg: string; route?: string; status?: number });
    assert.ok(
      lines.some((l) => l.level === 30 && /no Kubernetes connection/.test(l.msg)),
      stdout,
    );
    assert.ok(
      lines.some((l) => l.msg === "request" && l.route === "/readyz" && l.status === 200),
      stdout,
    );
  });

  it("closes every live stream cleanly on SIGTERM, then exits 0", async () => {
    const port = await freePort();
    const child = spawn(
      process.execPath,
      [BIN, "serve", "--mesh", "linkerd", "--prometheus-url", prometheus.url, "--listen", `127.0.0.1:${port}`],
      {
        env,
        stdio: ["ignore", "ignore", "pipe"],
      },
    );
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
      for (const s of streams) assert.deepEqual(await s.ended, { how: "complete" }, "each stream gets its complete");
      assert.equal(await exited, 0, stderr);
      assert.equal(live.closes[0]?.code, 1001);
    } finally {
      child.kill("SIGKILL");
      await live.dispose();
    }
  });
});
