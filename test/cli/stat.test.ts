// `meshql stat`, `edges`, `top` and `version` as users run them: the real
// binary against a test gateway over a real Prometheus holding the fixture
// topology as Linkerd metrics. Expected numbers come from the topology's spec.

import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import http from "node:http";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { parse as parseYaml } from "yaml";
import type { Gateway } from "../../src/server/gateway.ts";
import { linkerd } from "../../src/demo/traffic/linkerd.ts";
import { HISTORY, topologyModel } from "../fixtures/topology.ts";
import { freePort, startPrometheus, type PrometheusInstance } from "../harness/prometheus.ts";
import { testGateway } from "../support/gateway.ts";
import { BIN, cleanEnv, meshql } from "./support.ts";

const home = mkdtempSync(join(tmpdir(), "meshql-cli-stat-"));
let prometheus: PrometheusInstance;
let gateway: Gateway;
let env: Record<string, string>;

before(async () => {
  prometheus = await startPrometheus({ model: topologyModel(), formats: [linkerd], ...HISTORY });
  gateway = await testGateway(prometheus.url, "linkerd");
  const address = await gateway.app.listen({ host: "127.0.0.1", port: 0 });
  env = cleanEnv(home, { MESHQL_SERVER: address });
});

after(async () => {
  await gateway?.close();
  await prometheus?.stop();
  rmSync(home, { recursive: true, force: true });
});

/** The table's cells by row, split on the column gaps. */
const cells = (table: string): string[][] =>
  table
    .trimEnd()
    .split("\n")
    .map((l) => l.trim().split(/\s{2,}/));

function row(table: string, first: string): string[] {
  const found = cells(table).find((r) => r[0] === first);
  assert.ok(found, `a row for ${first} in\n${table}`);
  return found;
}

const near = (actual: unknown, expected: number, tolerance = 1e-6): void =>
  assert.ok(
    typeof actual === "number" && Math.abs(actual - expected) <= tolerance * Math.max(1, expected),
    `${String(actual)} ≈ ${expected}`,
  );

describe("meshql stat", () => {
  // Counts over 5m windows equal the model's rates exactly; shorter windows carry its per-scrape noise.
  it("prints Linkerd's columns, people's numbers and - where there is no value", async () => {
    const r = await meshql(["stat", "deploy", "-n", "shop", "-t", "5m"], env);
    assert.equal(r.status, 0, r.stderr);
    const table = cells(r.stdout);
    assert.deepEqual(table[0], ["NAME", "MESHED", "SUCCESS", "RPS", "LATENCY_P50", "LATENCY_P95", "LATENCY_P99"]);
    assert.deepEqual(
      table.slice(1).map((c) => c[0]),
      ["cart", "catalog", "frontend"],
    );
    // catalog: 6 rps from frontend (3% 500s), 0.5 from node-agent, 1 from reports: 7.5 rps, 97.6% success.
    assert.deepEqual(row(r.stdout, "catalog").slice(1, 4), ["-", "97.6%", "7.5rps"]);
    // frontend: 4 rps from the unmeshed loadgen, all 200.
    assert.deepEqual(row(r.stdout, "frontend").slice(1, 4), ["-", "100%", "4rps"]);
    assert.match(row(r.stdout, "frontend")[4]!, /^\d+(\.\d+)?m?s$/);
  });

  it("shows a resource without inbound requests as -, never 0%", async () => {
    const r = await meshql(["stat", "deployments", "-n", "data"], env);
    assert.equal(r.status, 0, r.stderr);
    assert.deepEqual(row(r.stdout, "reports").slice(1), ["-", "-", "0rps", "-", "-", "-"]);
  });

  it("accepts kubectl's kind names and NAME as kind/name or a second argument", async () => {
    for (const args of [
      ["stat", "sts/db", "-n", "data"],
      ["stat", "statefulset", "db", "-n", "data"],
      ["stat", "statefulsets/db", "-n", "data"],
    ]) {
      const r = await meshql(args, env);
      assert.equal(r.status, 0, `${args.join(" ")}: ${r.stderr}`);
      assert.equal(cells(r.stdout).length, 2, r.stdout);
      assert.equal(row(r.stdout, "db")[0], "db");
    }
  });

  it("adds NAMESPACE with -A", async () => {
    const r = await meshql(["stat", "deploy", "-A"], env);
    assert.equal(r.status, 0, r.stderr);
    assert.equal(cells(r.stdout)[0]![0], "NAMESPACE");
    assert.deepEqual(
      cells(r.stdout)
        .slice(1)
        .map((c) => `${c[0]}/${c[1]}`),
      ["data/reports", "shop/cart", "shop/catalog", "shop/frontend"],
    );
  });

  it("writes documented, stable JSON, and the same data as YAML", async () => {
    const r = await meshql(["stat", "deploy", "-n", "shop", "-t", "5m", "-o", "json"], env);
    assert.equal(r.status, 0, r.stderr);
    const rows = JSON.parse(r.stdout) as Array<Record<string, unknown>>;
    const catalog = rows.find((x) => x.name === "catalog")!;
    assert.deepEqual(Object.keys(catalog), [
      "kind",
      "namespace",
      "name",
      "pods",
      "window",
      "timestamp",
      "requestCount",
      "successCount",
      "failureCount",
      "successRate",
      "requestsPerSecond",
      "latencyMs",
    ]);
    assert.equal(catalog.kind, "Deployment");
    assert.equal(catalog.window, "5m");
    assert.equal(catalog.pods, null);
    near(catalog.requestsPerSecond, 7.5);
    near(catalog.requestCount, 7.5 * 300);
    near(catalog.successRate, 1 - 0.18 / 7.5);
    assert.deepEqual(Object.keys(catalog.latencyMs as object), ["p50", "p90", "p95", "p99"]);
    const yaml = await meshql(["stat", "deploy", "-n", "shop", "-t", "5m", "-o", "yaml"], env);
    assert.deepEqual(parseYaml(yaml.stdout), rows);
  });

  it("shows the traffic from one resource to another with --to, and from with --from", async () => {
    const to = await meshql(["stat", "deploy/frontend", "-n", "shop", "--to", "deploy/catalog", "-t", "5m", "-o", "json"], env);
    assert.equal(to.status, 0, to.stderr);
    const [edge, ...rest] = JSON.parse(to.stdout) as Array<Record<string, { name: string } & Record<string, unknown>>>;
    assert.equal(rest.length, 0);
    assert.equal(edge!.from!.name, "frontend");
    assert.equal(edge!.to!.name, "catalog");
    assert.equal(edge!.mtls, true as unknown);
    near(edge!.requestsPerSecond, 6);
    near(edge!.successRate, 0.97);

    const from = await meshql(["stat", "deploy", "-n", "shop", "--from", "deploy/frontend"], env);
    assert.equal(from.status, 0, from.stderr);
    assert.deepEqual(cells(from.stdout)[0], ["SRC", "DST", "SUCCESS", "RPS", "LATENCY_P50", "LATENCY_P95", "LATENCY_P99", "TLS"]);
    assert.deepEqual(
      cells(from.stdout)
        .slice(1)
        .map((c) => c[1]),
      ["cart", "catalog"],
    );
  });
});

describe("meshql edges", () => {
  it("lists each pair once with its TLS, across namespaces", async () => {
    const r = await meshql(["edges", "deploy", "-n", "shop", "-t", "5m"], env);
    assert.equal(r.status, 0, r.stderr);
    assert.deepEqual(cells(r.stdout)[0], [
      "SRC",
      "DST",
      "SRC_NS",
      "DST_NS",
      "SUCCESS",
      "RPS",
      "LATENCY_P50",
      "LATENCY_P95",
      "LATENCY_P99",
      "TLS",
    ]);
    const pairs = cells(r.stdout)
      .slice(1)
      .map((c) => `${c[2]}/${c[0]}->${c[3]}/${c[1]}`);
    assert.equal(new Set(pairs).size, pairs.length, "no pair twice");
    assert.ok(pairs.includes("shop/frontend->shop/catalog"), pairs.join(" "));
    assert.ok(pairs.includes("data/reports->shop/catalog"), pairs.join(" "));
    const frontendCatalog = cells(r.stdout).find((c) => c[0] === "frontend" && c[1] === "catalog")!;
    assert.deepEqual([frontendCatalog[4], frontendCatalog[5], frontendCatalog[9]], ["97%", "6rps", "yes"]);
  });

  it("writes JSON with from, to and mtls", async () => {
    const r = await meshql(["edges", "deploy", "-n", "shop", "-o", "json"], env);
    assert.equal(r.status, 0, r.stderr);
    const rows = JSON.parse(r.stdout) as Array<{ from: { name: string }; to: { name: string }; mtls: boolean | null }>;
    assert.equal(rows.find((x) => x.from.name === "frontend" && x.to.name === "cart")?.mtls, true);
  });
});

describe("meshql errors", () => {
  const usage: Array<[string, string[], RegExp]> = [
    ["an unknown kind", ["stat", "widgets"], /unknown resource kind "widgets"; use one of .*deploy/],
    ["an unknown output format", ["stat", "deploy", "-o", "csv"], /argument 'csv' is invalid/],
    ["a window the backend cannot answer", ["stat", "deploy", "-n", "shop", "-t", "1s"], /window .*\(BAD_USER_INPUT\)/],
    ["a bad --at", ["stat", "deploy", "--at", "yesterday"], /--at must be an RFC 3339 time/],
    [
      "a name that does not exist",
      ["stat", "deploy/nope", "-n", "shop"],
      /no deployment "nope" in namespace shop; `meshql stat deployments -n shop` lists/,
    ],
    ["--to of another kind", ["stat", "deploy/frontend", "-n", "shop", "--to", "sts/db"], /--to must be of the same kind/],
  ];
  for (const [what, args, message] of usage) {
    it(`answers ${what} with exit code 1 and what to do`, async () => {
      const r = await meshql(args, env);
      assert.equal(r.status, 1, r.stderr);
      assert.equal(r.stdout, "");
      assert.match(r.stderr, message);
    });
  }

  it("answers a gateway that is not there with exit code 2 and how to start one", async () => {
    const port = await freePort();
    const r = await meshql(["stat", "deploy", "--server", `http://127.0.0.1:${port}`], env);
    assert.equal(r.status, 2, r.stderr);
    assert.match(
      r.stderr,
      /cannot reach the gateway at http:\/\/127\.0\.0\.1:\d+\/graphql \(ECONNREFUSED\): start one with "meshql serve"/,
    );
  });

  it("sends the kubeconfig's bearer token, and answers a refusal with exit code 2 and a hint", async () => {
    const seen: string[] = [];
    const server = http.createServer((req, res) => {
      seen.push(req.headers.authorization ?? "");
      res.writeHead(401, { "content-type": "application/json" }).end('{"message":"Unauthorized"}');
    });
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    const kubeconfig = join(home, "kubeconfig");
    writeFileSync(
      kubeconfig,
      JSON.stringify({
        apiVersion: "v1",
        kind: "Config",
        clusters: [{ name: "c", cluster: { server: "https://kube.invalid:6443" } }],
        users: [{ name: "u", user: { token: "s3cret-token" } }],
        contexts: [{ name: "ctx", context: { cluster: "c", user: "u" } }],
        "current-context": "ctx",
      }),
    );
    try {
      const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
      const r = await meshql(["stat", "deploy", "--server", url, "--kubeconfig", kubeconfig], env);
      assert.equal(r.status, 2, r.stderr);
      assert.match(r.stderr, /refused the request \(HTTP 401\): pass --kubeconfig with a user it accepts/);
      assert.deepEqual(seen, ["Bearer s3cret-token"]);
    } finally {
      server.close();
    }
  });
});

describe("meshql top and version", () => {
  it("draws frames until q", async () => {
    const child = spawn(process.execPath, [BIN, "top", "-n", "shop", "--interval", "1s"], { env, stdio: ["pipe", "pipe", "pipe"] });
    let out = "";
    let err = "";
    child.stderr.on("data", (d: Buffer) => (err += d.toString()));
    const exited = new Promise<number | null>((resolve) => child.once("close", resolve));
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`no frame: ${out} ${err}`)), 20_000);
      child.stdout.on("data", (d: Buffer) => {
        out += d.toString();
        if ((out.match(/^meshql top:/gm) ?? []).length >= 2) {
          clearTimeout(timer);
          resolve();
        }
      });
    });
    child.stdin.write("q");
    assert.equal(await exited, 0, err);
    assert.match(out, /^meshql top: namespace shop, window 1m/m);
    // Busiest first: frontend -> catalog (6 rps) above loadgen -> frontend (4 rps).
    const first = out.split(/^meshql top:/m)[1]!;
    assert.ok(first.indexOf("catalog") < first.indexOf("loadgen") || !first.includes("loadgen"), first);
    assert.match(first, /SRC\s+DST\s+REQUESTS\s+RPS\s+SUCCESS/);
  });

  it("prints the package's version", async () => {
    const { version } = JSON.parse(readFileSync(new URL("../../package.json", import.meta.url), "utf8")) as { version: string };
    assert.equal((await meshql(["--version"], env)).stdout, `${version}\n`);
    assert.equal((await meshql(["version"], env)).stdout, `meshql ${version}\n`);
  });
});
