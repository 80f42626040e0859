// The built server (tsc, as the container image builds it) on each supported
// Node: Node 20 (this process's) and Node 24, the current LTS, which
// scripts/ensure-deps.sh installs from the npm registry's `node` package into
// .tmp/node24. Each one serves, shuts down gracefully with a request in
// flight, and restarts on the same port.

import assert from "node:assert/strict";
import { execFile, spawn, type ChildProcess } from "node:child_process";
import { copyFileSync, existsSync, mkdtempSync, rmSync } from "node:fs";
import { createServer, type Server } from "node:http";
import { connect } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import { linkerd } from "../../src/demo/traffic/linkerd.ts";
import { HISTORY, topologyModel } from "../fixtures/topology.ts";
import { freePort, startPrometheus, type PrometheusInstance } from "../harness/prometheus.ts";

const ROOT = fileURLToPath(new URL("../..", import.meta.url));
// Laid out as the image lays it out: package.json beside dist/ (the version is read from it).
const BUILD = join(ROOT, ".tmp/smoke");
const DIST = join(BUILD, "dist");
const NODE24 = join(ROOT, ".tmp/node24/node_modules/.bin/node");
const home = mkdtempSync(join(tmpdir(), "meshql-smoke-home-"));

let prometheus: PrometheusInstance;
/** In front of Prometheus: delays each answer by `delayMs`, so a request can be in flight on purpose. */
let slowProxy: Server;
let delayMs = 0;
let proxyUrl: string;

before(async () => {
  // Inside the repository, so that the built files find node_modules.
  await promisify(execFile)(
    process.execPath,
    [
      join(ROOT, "node_modules/typescript/bin/tsc"),
      "-p",
      "tsconfig.build.json",
      "--outDir",
      DIST,
      "--incremental",
      "--tsBuildInfoFile",
      `${DIST}.tsbuildinfo`,
    ],
    { cwd: ROOT },
  );
  copyFileSync(join(ROOT, "package.json"), join(BUILD, "package.json"));
  prometheus = await startPrometheus({ model: topologyModel(), formats: [linkerd], ...HISTORY });
  slowProxy = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on("data", (c: Buffer) => chunks.push(c));
    req.on("end", () => {
      setTimeout(async () => {
        const upstream = await fetch(`${prometheus.url}${req.url}`, {
          method: req.method,
          headers: { "content-type": req.headers["content-type"] ?? "" },
          body: req.method === "POST" ? Buffer.concat(chunks) : null,
        });
        res
          .writeHead(upstream.status, { "content-type": upstream.headers.get("content-type") ?? "" })
          .end(Buffer.from(await upstream.arrayBuffer()));
      }, delayMs);
    });
  });
  await new Promise<void>((resolve) => slowProxy.listen(0, "127.0.0.1", resolve));
  const address = slowProxy.address();
  proxyUrl = `http://127.0.0.1:${typeof address === "object" && address ? address.port : 0}`;
});

after(async () => {
  slowProxy?.closeAllConnections();
  await new Promise((resolve) => slowProxy?.close(resolve));
  await prometheus?.stop();
  rmSync(home, { recursive: true, force: true });
});

interface Running {
  readonly child: ChildProcess;
  readonly base: string;
  readonly exited: Promise<number | null>;
  stderr(): string;
}

async function serve(node: string, port: number): Promise<Running> {
  const child = spawn(
    node,
    [
      join(DIST, "cli.js"),
      "serve",
      "--mesh",
      "linkerd",
      "--prometheus-url",
      proxyUrl,
      "--listen",
      `127.0.0.1:${port}`,
      "--scrape-interval",
      "10s",
    ],
    {
      env: { PATH: process.env.PATH ?? "", HOME: home, KUBECONFIG: "" },
      stdio: ["ignore", "ignore", "pipe"],
    },
  );
  let stderr = "";
  child.stderr!.on("data", (d: Buffer) => (stderr += d.toString()));
  const exited = new Promise<number | null>((resolve) => child.once("exit", (code) => resolve(code)));
  const base = `http://127.0.0.1:${port}`;
  for (let i = 0; i < 150; i++) {
    if ((await fetch(`${base}/healthz`).catch(() => null))?.ok) return { child, base, exited, stderr: () => stderr };
    if (child.exitCode !== null) break;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  child.kill("SIGKILL");
  throw new Error(`the server did not come up: ${stderr}`);
}

const QUERY = `{ resource(kind: DEPLOYMENT, namespace: "shop", name: "catalog") { metrics(window: "1m") { requestCount } } }`;

function graphql(base: string): Promise<Response> {
  return fetch(`${base}/graphql`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ query: QUERY }),
  });
}

const runtimes: Array<[string, string]> = [
  [`Node ${process.versions.node} (this process)`, process.execPath],
  ["Node 24 (.tmp/node24)", NODE24],
];

for (const [name, node] of runtimes) {
  describe(`the built server on ${name}`, () => {
    it("runs that Node version", async () => {
      assert.ok(existsSync(node), `${node} is missing: run bash scripts/ensure-deps.sh node24`);
      const { stdout } = await promisify(execFile)(node, ["--version"]);
      if (node === NODE24) assert.match(stdout, /^v24\./);
    });

    it("serves GraphQL, SMI, probes and HTTP/1.0; finishes a request in flight on SIGTERM; restarts on the same port", async () => {
      const port = await freePort();
      const first = await serve(node, port);
      try {
        assert.equal((await fetch(`${first.base}/readyz`)).status, 200, first.stderr());
        // The fixture's history lies before the server's real clock can see it as "seen": the answer is
        // "not found", reached through the backend (its lookup query is in Prometheus' log).
        prometheus.resetQueries();
        assert.deepEqual(await (await graphql(first.base)).json(), { data: { resource: null } });
        assert.ok(
          prometheus.queries().some((q) => q.includes("present_over_time")),
          "the lookup reached Prometheus",
        );
        const smi = await fetch(`${first.base}/apis/metrics.smi-spec.io/v1alpha1/namespaces/shop/deployments`);
        assert.equal(smi.status, 200);
        assert.equal(((await smi.json()) as { kind: string }).kind, "TrafficMetricsList");
        const http10 = await new Promise<string>((resolve) => {
          let text = "";
          const socket = connect(port, "127.0.0.1", () => socket.write("GET /healthz HTTP/1.0\r\n\r\n"));
          socket.on("data", (d: Buffer) => (text += d.toString())).on("close", () => resolve(text));
        });
        assert.match(http10, /^HTTP\/1\.[01] 200 /);

        // SIGTERM while a GraphQL request waits on a slow backend: it is answered, then the process exits 0.
        delayMs = 1500;
        const inFlight = graphql(first.base);
        await new Promise((resolve) => setTimeout(resolve, 500));
        first.child.kill("SIGTERM");
        const late = await new Promise((resolve) => setTimeout(resolve, 200)).then(() =>
          fetch(`${first.base}/healthz`).then(
            (r) => r.status,
            () => "refused",
          ),
        );
        const response = await inFlight;
        assert.equal(response.status, 200);
        const body = (await response.json()) as { data?: unknown; errors?: unknown };
        assert.equal(body.errors, undefined, JSON.stringify(body));
        assert.equal(await first.exited, 0, first.stderr());
        assert.ok(late === "refused" || late === 503, `a request after SIGTERM got ${String(late)}`);
      } finally {
        delayMs = 0;
        first.child.kill("SIGKILL");
      }

      // The same port at once: nothing of the first process holds it.
      const second = await serve(node, port);
      try {
        assert.equal((await fetch(`${second.base}/readyz`)).status, 200);
        second.child.kill("SIGTERM");
        assert.equal(await second.exited, 0, second.stderr());
      } finally {
        second.child.kill("SIGKILL");
      }
    });
  });
}
