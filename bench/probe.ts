// A probe of the running gateway from outside, over real sockets: bad input,
// query shapes, transport, backend faults, partial failure, shutdown and a
// short soak. Prints one line per case and a summary line
// `probe: N passed, M failed`; exits 1 when any case failed.
//
//   node --import tsx bench/probe.ts [--soak-seconds 5]
//
// The backend is a real Prometheus over the test topology (test/harness), and
// loopback servers play broken backends.

import "reflect-metadata";
import { spawn } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import { connect } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";
import { windowOfSeconds } from "../src/domain/window.ts";
import type { Gateway } from "../src/server/gateway.ts";
import { linkerd } from "../src/demo/traffic/linkerd.ts";
import { HISTORY, T0, topologyModel } from "../test/fixtures/topology.ts";
import { freePort, startPrometheus } from "../test/harness/prometheus.ts";
import { testGateway } from "../test/support/gateway.ts";

const { values } = parseArgs({ options: { "soak-seconds": { type: "string", default: "5" } } });
const SOAK_SECONDS = Number(values["soak-seconds"]);
const BIN = fileURLToPath(new URL("../bin/meshql.js", import.meta.url));

type Body = { data?: Record<string, unknown> | null; errors?: Array<{ message: string; extensions?: Record<string, unknown> }> };
interface Case {
  readonly group: string;
  readonly name: string;
  readonly timeoutMs: number;
  run(): Promise<string | true>;
}

const cases: Case[] = [];
const check = (group: string, name: string, run: () => Promise<string | true>, timeoutMs = 30_000): void =>
  void cases.push({ group, name, run, timeoutMs });
const expect = (ok: boolean, detail: string | undefined): string | true => (ok ? true : String(detail));

async function listen(handler: (req: IncomingMessage, res: ServerResponse) => void): Promise<{ url: string; server: Server }> {
  const server = createServer(handler);
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const a = server.address();
  return { url: `http://127.0.0.1:${typeof a === "object" && a ? a.port : 0}`, server };
}

async function closeServer(server: Server): Promise<void> {
  server.closeAllConnections();
  await new Promise((resolve) => server.close(resolve));
}

async function gql(base: string, query: string, variables: Record<string, unknown> = {}): Promise<{ status: number; body: Body }> {
  const r = await fetch(`${base}/graphql`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ query, variables }),
  });
  const text = await r.text();
  try {
    return { status: r.status, body: JSON.parse(text) as Body };
  } catch {
    return { status: r.status, body: { errors: [{ message: text }] } };
  }
}

/** Sends raw bytes, resolves with what came back when the server closed the connection. */
function raw(port: number, text: string, trickle?: string): Promise<{ text: string; ms: number }> {
  return new Promise((resolve) => {
    const started = performance.now();
    let answer = "";
    const socket = connect(port, "127.0.0.1", () => socket.write(text));
    const timer = trickle ? setInterval(() => socket.writable && socket.write(trickle), 200) : null;
    socket.on("data", (d: Buffer) => (answer += d.toString()));
    socket.on("error", () => {});
    socket.on("close", () => {
      if (timer) clearInterval(timer);
      resolve({ text: answer, ms: performance.now() - started });
    });
  });
}

const code = (b: Body): unknown => b.errors?.[0]?.extensions?.code;
const at = (t: number): string => new Date(t * 1000).toISOString();
const METRICS = (args: string) =>
  `{ resource(kind: DEPLOYMENT, namespace: "shop", name: "catalog") { metrics(${args}) { requestCount successRate latency { p99 } } } }`;

async function main(): Promise<void> {
  const prometheus = await startPrometheus({ model: topologyModel(), formats: [linkerd], ...HISTORY });
  const gateways: Gateway[] = [];
  const servers: Server[] = [];
  const gateway = async (url: string, overrides: Parameters<typeof testGateway>[2] = {}): Promise<{ base: string; port: number }> => {
    const g = await testGateway(url, "linkerd", {
      serverLimits: { requestTimeoutMs: 2000, idleTimeoutMs: 10_000, maxHeaderBytes: 8192, maxBodyBytes: 64 * 1024, maxConnections: 256 },
      maxAtAge: windowOfSeconds(7 * 86400),
      queryTimeoutMs: 1000,
      ...overrides,
    });
    gateways.push(g);
    const base = await g.app.listen({ host: "127.0.0.1", port: 0 });
    return { base, port: Number(new URL(base).port) };
  };
  const main = await gateway(prometheus.url);
  const broken = async (handler: (req: IncomingMessage, res: ServerResponse) => void) => {
    const b = await listen(handler);
    servers.push(b.server);
    return gateway(b.url, { maxBackendResponseBytes: 1024 * 1024 });
  };

  // --- bad input ---
  for (const [name, args, pattern] of [
    ["window 0s", `window: "0s"`, /window/],
    ["window below two scrapes", `window: "10s"`, /twice/],
    ["window of a year", `window: "365d"`, /30 day/],
    ["at in year 1", `window: "1m", at: "0001-01-01T00:00:00Z"`, /epoch/],
    ["at in the future", `window: "1m", at: "${at(T0 + 86400)}"`, /future/],
    ["at older than --max-at-age", `window: "1m", at: "${at(T0 - 30 * 86400)}"`, /max-at-age/],
  ] as const) {
    check("bad input", name, async () => {
      const r = await gql(main.base, METRICS(args));
      return expect(code(r.body) === "BAD_USER_INPUT" && pattern.test(r.body.errors?.[0]?.message ?? ""), JSON.stringify(r.body.errors));
    });
  }
  check("bad input", "PromQL in a name", async () => {
    const r = await gql(main.base, `{ resource(kind: DEPLOYMENT, namespace: "shop", name: "x\\"}) or vector(1) #") { name } }`);
    return expect(code(r.body) === "BAD_USER_INPUT", JSON.stringify(r.body));
  });
  check("bad input", "SMI window 0s is a 400 Status", async () => {
    const r = await fetch(`${main.base}/apis/metrics.smi-spec.io/v1alpha1/namespaces/shop/deployments/catalog?window=0s`);
    const b = (await r.json()) as { kind?: string };
    return expect(r.status === 400 && b.kind === "Status", `${r.status} ${JSON.stringify(b)}`);
  });

  // --- query shapes ---
  let deep = "name";
  for (let i = 0; i < 20; i++) deep = `edges { peer { ${deep} } }`;
  check("query shapes", "20 levels of edges refused before execution", async () => {
    prometheus.resetQueries();
    const started = performance.now();
    const r = await gql(main.base, `{ resources(kind: DEPLOYMENT) { ${deep} } }`);
    const ms = performance.now() - started;
    return expect(
      r.status === 400 && r.body.errors?.[0]?.extensions?.limit === "maxDepth" && prometheus.queries().length === 0 && ms < 1000,
      `${r.status} ${ms}ms ${JSON.stringify(r.body)}`,
    );
  });
  check("query shapes", "500 aliases refused by cost", async () => {
    const aliases = Array.from({ length: 500 }, (_, i) => `a${i}: resources(kind: DEPLOYMENT) { metrics { requestCount } }`).join(" ");
    const r = await gql(main.base, `{ ${aliases} }`);
    return expect(r.body.errors?.[0]?.extensions?.limit === "maxCost", JSON.stringify(r.body.errors));
  });
  check("query shapes", "fragment cycle is a validation error", async () => {
    const r = await gql(main.base, `{ resources(kind: DEPLOYMENT) { ...A } } fragment A on Resource { name edges { peer { ...A } } }`);
    return expect(r.status === 400 && code(r.body) === "GRAPHQL_VALIDATION_FAILED", JSON.stringify(r.body));
  });
  check("query shapes", "full introspection", async () => {
    const { getIntrospectionQuery } = await import("graphql");
    const r = await gql(main.base, getIntrospectionQuery({ descriptions: true, inputValueDeprecation: true }));
    return expect(r.status === 200 && r.body.errors === undefined, JSON.stringify(r.body.errors));
  });
  check("query shapes", "overview with two levels of edges", async () => {
    const r = await gql(
      main.base,
      `{ resources(kind: DEPLOYMENT, namespace: "shop") { name metrics(window: "1m") { requestCount } edges(window: "1m") { peer ` +
        `{ name edges(window: "1m") { peer { name } } } } } }`,
    );
    const n = (r.body.data?.resources as unknown[] | undefined)?.length ?? 0;
    return expect(r.status === 200 && n > 0, JSON.stringify(r.body.errors));
  });
  check("query shapes", "a batch (JSON array) is refused, not a crash", async () => {
    const r = await fetch(`${main.base}/graphql`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify([{ query: "{ __typename }" }, { query: "{ __typename }" }]),
    });
    return expect(r.status >= 400 && r.status < 500, String(r.status));
  });

  // --- transport ---
  check("transport", "HTTP/1.0 POST /graphql without Host", async () => {
    const body = JSON.stringify({ query: "{ __typename }" });
    const r = await raw(
      main.port,
      `POST /graphql HTTP/1.0\r\nContent-Type: application/json\r\nContent-Length: ${body.length}\r\n\r\n${body}`,
    );
    return expect(/^HTTP\/1\.[01] 200 /.test(r.text) && r.text.includes('"Query"'), r.text.slice(0, 200));
  });
  check("transport", "a trickled body is cut with 408", async () => {
    const r = await raw(
      main.port,
      "POST /graphql HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 9999\r\n\r\n{",
      " ",
    );
    return expect(/^HTTP\/1\.1 408 /.test(r.text) && r.ms < 5000, `${Math.round(r.ms)}ms ${r.text.slice(0, 40)}`);
  });
  check("transport", "a huge header block gets 431", async () => {
    const r = await fetch(`${main.base}/healthz`, { headers: { "x-pad": "a".repeat(16 * 1024) } });
    return expect(r.status === 431, String(r.status));
  });
  check("transport", "a huge body gets 413", async () => {
    const r = await gql(main.base, `{ __typename } # ${"x".repeat(128 * 1024)}`);
    return expect(r.status === 413, String(r.status));
  });
  check("transport", "malformed JSON gets 400", async () => {
    const r = await fetch(`${main.base}/graphql`, { method: "POST", headers: { "content-type": "application/json" }, body: "{" });
    return expect(r.status === 400, String(r.status));
  });
  check("transport", "GET /graphql without a CSRF header is refused, not a crash", async () => {
    const r = await fetch(`${main.base}/graphql?query=${encodeURIComponent("{ __typename }")}`);
    return expect(r.status === 400, String(r.status));
  });

  // --- backend faults ---
  const faults: Array<[string, (req: IncomingMessage, res: ServerResponse) => void, string, string]> = [
    ["slow backend", (_q, s) => void setTimeout(() => s.end("{}"), 3000), "BACKEND_UNAVAILABLE", "timeout"],
    ["404 from the backend", (_q, s) => s.writeHead(404).end("not found"), "BACKEND_MISCONFIGURED", "misconfigured"],
    ["401 from the backend", (_q, s) => s.writeHead(401).end("no"), "BACKEND_MISCONFIGURED", "misconfigured"],
    [
      "an HTML page",
      (_q, s) => s.writeHead(200, { "content-type": "text/html" }).end("<html></html>"),
      "BACKEND_MISCONFIGURED",
      "misconfigured",
    ],
    ["502 from a proxy", (_q, s) => s.writeHead(502).end("bad gateway"), "BACKEND_UNAVAILABLE", "bad_response"],
    [
      "an endless answer",
      (_q, s) => {
        s.writeHead(200, { "content-type": "application/json" });
        const chunk = Buffer.alloc(65536, "x");
        const pump = (): void => {
          while (!s.destroyed && s.write(chunk));
          if (!s.destroyed) s.once("drain", pump);
        };
        pump();
      },
      "BACKEND_UNAVAILABLE",
      "bad_response",
    ],
  ];
  for (const [name, handler, wantCode, wantKind] of faults) {
    check("backend faults", name, async () => {
      const g = await broken(handler);
      const r = await gql(g.base, METRICS(`window: "1m"`));
      const health = await fetch(`${g.base}/healthz`);
      return expect(
        code(r.body) === wantCode && r.body.errors?.[0]?.extensions?.backendError === wantKind && health.status === 200,
        JSON.stringify(r.body.errors),
      );
    });
  }
  check("backend faults", "backend down", async () => {
    const g = await gateway(`http://127.0.0.1:${await freePort()}`);
    const r = await gql(g.base, METRICS(`window: "1m"`));
    const ready = await fetch(`${g.base}/readyz`);
    return expect(r.body.errors?.[0]?.extensions?.backendError === "unreachable" && ready.status === 503, JSON.stringify(r.body.errors));
  });

  // --- partial failure: a proxy that fails only 2-minute windows ---
  const partial = await listen((req, res) => {
    const chunks: Buffer[] = [];
    req.on("data", (c: Buffer) => chunks.push(c));
    req.on("end", async () => {
      const body = Buffer.concat(chunks).toString();
      if (new URLSearchParams(body).get("query")?.includes("[120s]")) return void res.writeHead(503).end("overloaded");
      const up = await fetch(`${prometheus.url}${req.url}`, {
        method: "POST",
        headers: { "content-type": "application/x-www-form-urlencoded" },
        body,
      });
      res.writeHead(up.status, { "content-type": "application/json" }).end(await up.text());
    });
  });
  servers.push(partial.server);
  const partialGateway = await gateway(partial.url);
  check("partial failure", "a failing metrics field leaves the list beside it", async () => {
    const r = await gql(
      partialGateway.base,
      `{ list: resources(kind: DEPLOYMENT, namespace: "shop") { name } one: resource(kind: DEPLOYMENT, namespace: "shop", name: ` +
        `"catalog") { metrics(window: "2m") { requestCount } } }`,
    );
    const list = r.body.data?.list as unknown[] | undefined;
    return expect(r.status === 200 && (list?.length ?? 0) > 0 && code(r.body) === "BACKEND_UNAVAILABLE", JSON.stringify(r.body));
  });
  // Two windows of one resource are loaded in one DataLoader batch: today a failing window fails both.
  check("partial failure", "a failing window leaves another window's data", async () => {
    const r = await gql(
      partialGateway.base,
      `{ resource(kind: DEPLOYMENT, namespace: "shop", name: "catalog") { ok: metrics(window: "1m") { requestCount } bad: ` +
        `metrics(window: "2m") { requestCount } } }`,
    );
    const resource = r.body.data?.resource as { ok?: { requestCount: number }; bad?: unknown } | null | undefined;
    return expect(
      r.status === 200 && (resource?.ok?.requestCount ?? 0) > 0 && code(r.body) === "BACKEND_UNAVAILABLE",
      JSON.stringify(r.body),
    );
  });

  // --- shutdown: a real `meshql serve` behind a slow proxy ---
  let delay = 0;
  const slow = await listen((req, res) => {
    const chunks: Buffer[] = [];
    req.on("data", (c: Buffer) => chunks.push(c));
    req.on("end", () =>
      setTimeout(async () => {
        const up = await fetch(`${prometheus.url}${req.url}`, {
          method: "POST",
          headers: { "content-type": "application/x-www-form-urlencoded" },
          body: Buffer.concat(chunks),
        });
        res.writeHead(up.status, { "content-type": "application/json" }).end(await up.text());
      }, delay),
    );
  });
  servers.push(slow.server);
  check(
    "shutdown",
    "SIGTERM answers the request in flight, exits 0, and the port is free at once",
    async () => {
      const home = mkdtempSync(join(tmpdir(), "meshql-probe-"));
      const port = await freePort();
      const start = async () => {
        const child = spawn(
          process.execPath,
          [BIN, "serve", "--mesh", "linkerd", "--prometheus-url", slow.url, "--listen", `127.0.0.1:${port}`],
          {
            env: { PATH: process.env.PATH ?? "", HOME: home, KUBECONFIG: "" },
            stdio: "ignore",
          },
        );
        const exited = new Promise<number | null>((resolve) => child.once("exit", resolve));
        // Started from source through tsx: slow on a busy machine.
        for (let i = 0; i < 600; i++) {
          if ((await fetch(`http://127.0.0.1:${port}/healthz`).catch(() => null))?.ok) return { child, exited };
          await new Promise((r) => setTimeout(r, 100));
        }
        child.kill("SIGKILL");
        throw new Error("serve did not come up");
      };
      try {
        const first = await start();
        delay = 1500;
        const inFlight = gql(`http://127.0.0.1:${port}`, `{ resources(kind: NAMESPACE) { name } }`);
        await new Promise((r) => setTimeout(r, 400));
        first.child.kill("SIGTERM");
        const answer = await inFlight;
        const exit = await first.exited;
        delay = 0;
        const second = await start();
        second.child.kill("SIGTERM");
        const exit2 = await second.exited;
        return expect(
          answer.status === 200 && answer.body.errors === undefined && exit === 0 && exit2 === 0,
          `${answer.status} exit ${exit}/${exit2}`,
        );
      } finally {
        delay = 0;
        rmSync(home, { recursive: true, force: true });
      }
    },
    150_000,
  );

  // --- soak ---
  check("soak", `${SOAK_SECONDS}s of 8 concurrent clients: no 5xx, /healthz within 1 s, bounded memory`, async () => {
    const documents = [
      METRICS(`window: "1m"`),
      `{ resources(kind: DEPLOYMENT) { name metrics(window: "5m") { requestCount } edges(window: "5m") { peer { name } } } }`,
      `{ resources(kind: DEPLOYMENT) { ${deep} } }`,
      METRICS(`window: "0s"`),
    ];
    const rssBefore = process.memoryUsage().rss;
    const until = performance.now() + SOAK_SECONDS * 1000;
    let requests = 0;
    let serverErrors = 0;
    let slowHealth = 0;
    const worker = async (i: number) => {
      for (let n = i; performance.now() < until; n++) {
        const r = await gql(main.base, documents[n % documents.length]!);
        requests++;
        if (r.status >= 500) serverErrors++;
      }
    };
    const health = async () => {
      while (performance.now() < until) {
        const t = performance.now();
        await fetch(`${main.base}/healthz`);
        if (performance.now() - t > 1000) slowHealth++;
        await new Promise((r) => setTimeout(r, 50));
      }
    };
    await Promise.all([...Array.from({ length: 8 }, (_, i) => worker(i)), health()]);
    const grown = (process.memoryUsage().rss - rssBefore) / 1024 / 1024;
    return expect(
      serverErrors === 0 && slowHealth === 0 && grown < 200,
      `${requests} requests, ${serverErrors} 5xx, ${slowHealth} slow /healthz, RSS +${grown.toFixed(0)} MiB`,
    );
  });

  let passed = 0;
  let failed = 0;
  try {
    for (const c of cases) {
      let outcome: string | true;
      try {
        // A case that hangs (a document that never finishes) fails instead of stopping the probe.
        const timeout = new Promise<string>((resolve) =>
          setTimeout(() => resolve(`no answer within ${c.timeoutMs / 1000} s`), c.timeoutMs).unref(),
        );
        outcome = await Promise.race([c.run(), timeout]);
      } catch (e) {
        outcome = e instanceof Error ? e.message : String(e);
      }
      if (outcome === true) passed++;
      else failed++;
      console.log(`${outcome === true ? "ok  " : "FAIL"} ${c.group}: ${c.name}${outcome === true ? "" : ` (${outcome.slice(0, 300)})`}`);
    }
  } finally {
    for (const g of gateways) await g.close();
    for (const s of servers) await closeServer(s);
    await prometheus.stop();
  }
  console.log(`probe: ${passed} passed, ${failed} failed`);
  process.exitCode = failed > 0 ? 1 : 0;
}

await main();
