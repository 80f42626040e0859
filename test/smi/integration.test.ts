// The SMI REST API end to end: the real gateway (service, Linkerd adapter,
// Prometheus client) against a real Prometheus backfilled with the topology's
// deterministic traffic. Golden documents live in test/golden/smi/, byte for
// byte as served (compact, one line; `jq . file` to read one); run with
// UPDATE_GOLDEN=1 to rewrite them (then review the diff by hand).
// No cluster: the inventory is the backend's, as in the demo.

import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { mkdtemp, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { after, before, describe, it } from "node:test";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import type { FastifyInstance } from "fastify";
import { decimalToNumber, parseQuantity } from "../../src/domain/quantity.ts";
import { createGateway, type Gateway } from "../../src/server/gateway.ts";
import { expectedInbound } from "../fixtures/expected.ts";
import { linkerd } from "../../src/demo/traffic/linkerd.ts";
import { buildModel } from "../../src/demo/traffic/model.ts";
import { HISTORY, REFS, SCALE_HISTORY, scaleTopology, T0, T0_DATE, topologyModel } from "../fixtures/topology.ts";
import { freePort, startPrometheus, type PrometheusInstance } from "../harness/prometheus.ts";

const run = promisify(execFile);
const B = "/apis/metrics.smi-spec.io/v1alpha1";
const GOLDEN = join(dirname(fileURLToPath(import.meta.url)), "..", "golden", "smi");
const UPDATE = process.env.UPDATE_GOLDEN === "1";

async function gatewayFor(prom: PrometheusInstance): Promise<Gateway> {
  const gw = await createGateway({
    mesh: "linkerd",
    prometheusUrl: prom.url,
    defaultWindow: { seconds: 60 },
    scrapeInterval: { seconds: 10 },
    seenLookback: { seconds: 3600 },
    queryTimeoutMs: 10_000,
    cacheTtlMs: 0,
    clock: () => T0_DATE,
    processMetrics: false,
  });
  await gw.app.ready();
  return gw;
}

/** Compares the exact bytes of an answer with its golden file. */
function golden(name: string, raw: string): void {
  const file = join(GOLDEN, `${name}.json`);
  if (UPDATE || !existsSync(file)) {
    if (!UPDATE) assert.fail(`golden ${file} is missing: run with UPDATE_GOLDEN=1 and review it`);
    mkdirSync(GOLDEN, { recursive: true });
    writeFileSync(file, raw);
    return;
  }
  assert.equal(raw, readFileSync(file, "utf8"), `${name} differs from ${file}`);
}

describe("SMI API against a real Prometheus", { timeout: 300_000 }, () => {
  let prom: PrometheusInstance;
  let gw: Gateway;
  let app: FastifyInstance;

  before(async () => {
    prom = await startPrometheus({ model: topologyModel(), formats: [linkerd], ...HISTORY });
    gw = await gatewayFor(prom);
    app = gw.app;
  });
  after(async () => {
    await gw?.close();
    await prom?.stop();
  });

  const get = async (url: string) => {
    const r = await app.inject({ method: "GET", url });
    return { code: r.statusCode, raw: r.body, body: JSON.parse(r.body) };
  };

  // Every path shape (discovery, get, list, edges, namespaces, all namespaces),
  // idle and unseen resources, Go-syntax windows, and the Statuses of bad input.
  const shapes: Array<[string, string]> = [
    ["resource-list", `${B}/`],
    ["deployment", `${B}/namespaces/shop/deployments/frontend`],
    ["deployment-5m", `${B}/namespaces/shop/deployments/catalog?window=5m`],
    ["deployment-at", `${B}/namespaces/shop/deployments/catalog?t=5m&at=${T0 - 600}`],
    ["deployment-idle", `${B}/namespaces/shop/deployments/legacy-admin`],
    ["deployment-unseen-edges", `${B}/namespaces/shop/deployments/legacy-admin/edges`],
    ["deployment-go-window", `${B}/namespaces/shop/deployments/frontend?t=1.5m`],
    ["daemonset-no-inbound", `${B}/namespaces/shop/daemonsets/node-agent`],
    ["deployments-shop", `${B}/namespaces/shop/deployments`],
    ["deployments-all", `${B}/deployments`],
    ["deployment-edges", `${B}/namespaces/shop/deployments/catalog/edges`],
    ["statefulset", `${B}/namespaces/data/statefulsets/db`],
    ["statefulset-edges", `${B}/namespaces/data/statefulsets/db/edges`],
    ["daemonsets", `${B}/namespaces/shop/daemonsets`],
    ["replicaset", `${B}/namespaces/shop/replicasets/canary`],
    ["job", `${B}/namespaces/data/jobs/nightly-export`],
    ["pods-data", `${B}/namespaces/data/pods`],
    ["namespace", `${B}/namespaces/shop`],
    ["namespace-edges", `${B}/namespaces/data/edges`],
    ["namespaces", `${B}/namespaces`],
    ["not-found", `${B}/namespaces/shop/deployments/nope`],
    ["bad-window", `${B}/namespaces/shop/deployments/frontend?t=soon`],
    ["selector-without-cluster", `${B}/namespaces/shop/deployments?labelSelector=app%3Dweb`],
    ["bad-url", `${B}/namespaces/shop/deployments/%ZZ`],
  ];
  for (const [name, url] of shapes) {
    it(`golden ${name}: ${url}`, async () => {
      const r = await get(url);
      golden(name, r.raw);
    });
  }

  it("counts agree with the model (not only with the golden files)", async () => {
    const r = await get(`${B}/namespaces/shop/deployments/catalog?window=5m`);
    assert.equal(r.code, 200);
    const value = (n: string) => decimalToNumber(parseQuantity(r.body.metrics.find((m: { name: string }) => m.name === n).value));
    const expected = expectedInbound(topologyModel(), REFS.catalog, T0 - 300, T0);
    const total = value("success_count") + value("failure_count");
    const want = expected.success + expected.failure;
    // Samples sit on the window's edges, so increase() needs no extrapolation: exact.
    assert.equal(total, want, `catalog requests ${total}, model ${want}`);
    assert.equal(value("failure_count"), expected.failure);
    for (const m of ["p50_response_latency", "p90_response_latency", "p99_response_latency"]) assert.ok(value(m) > 0, m);
  });

  it(
    "without a cluster, an idle resource is unknown: 404, never a made-up zero (test/server/cluster.test.ts covers the cluster " + "case)",
    async () => {
      const r = await get(`${B}/namespaces/shop/deployments/legacy-admin`);
      assert.equal(r.code, 404);
      assert.equal(r.body.reason, "NotFound");
    },
  );

  it("without a cluster, the edges of a valid name nobody has seen are an empty list, as the reference answered", async () => {
    for (const url of [
      `${B}/namespaces/shop/deployments/legacy-admin/edges`,
      `${B}/namespaces/nowhere/statefulsets/ghost/edges`,
      `${B}/namespaces/ghost-ns/edges`,
    ]) {
      const r = await get(url);
      assert.equal(r.code, 200, `${url}: ${r.raw}`);
      assert.equal(r.body.kind, "TrafficMetricsList");
      assert.deepEqual(r.body.items, []);
    }
  });

  it("t and window in Go's syntax: the same window answers the same bytes, printed as Go prints it", async () => {
    const base = (await get(`${B}/namespaces/shop/deployments/catalog?window=90s`)).raw;
    for (const q of ["t=1.5m", "t=90000ms", "window=1m30s", "t=0h1m30s", "window=90s&t=1.5m"]) {
      const r = await get(`${B}/namespaces/shop/deployments/catalog?${q}`);
      assert.equal(r.code, 200, `${q}: ${r.raw}`);
      assert.equal(r.raw, base, q);
      assert.equal(r.body.window, "1m30s");
    }
    assert.equal((await get(`${B}/namespaces/shop/deployments/catalog?t=1h0m0s`)).body.window, "1h0m0s");
    // An empty t is the default window (the gateway's 1m here).
    assert.equal(
      (await get(`${B}/namespaces/shop/deployments/catalog?t=`)).raw,
      (await get(`${B}/namespaces/shop/deployments/catalog`)).raw,
    );
  });

  it("every metric entry is always there, in the SDK's order, cut to milli units", async () => {
    const r = await get(`${B}/namespaces/shop/daemonsets/node-agent`);
    assert.equal(r.code, 200, r.raw);
    assert.deepEqual(r.body.metrics, [
      { name: "p99_response_latency", unit: "ms", value: "0" },
      { name: "p90_response_latency", unit: "ms", value: "0" },
      { name: "p50_response_latency", unit: "ms", value: "0" },
      { name: "success_count", value: "0" },
      { name: "failure_count", value: "0" },
    ]);
    for (const doc of [(await get(`${B}/deployments`)).body, (await get(`${B}/namespaces/shop/deployments/catalog/edges`)).body]) {
      for (const item of doc.items) {
        assert.deepEqual(
          item.metrics.map((m: { name: string }) => m.name),
          ["p99_response_latency", "p90_response_latency", "p50_response_latency", "success_count", "failure_count"],
        );
        for (const m of item.metrics) assert.match(m.value, /^-?\d+(m|k|M|G)?$/, `${m.name} ${m.value} is not in milli units`);
      }
    }
  });

  for (const path of [
    `${B}/namespaces/shop/deployments/%ZZ`,
    `${B}/namespaces/shop/deployments/a%`,
    `${B}/namespaces/shop/deployments/caf%C3`,
    `${B}/namespaces/%E2%82/deployments`,
    "/apis/%ZZ",
    "/openapi/v3/%ZZ",
  ]) {
    it(`undecodable path ${path} → 400 Status, not fastify's body`, async () => {
      const r = await get(path);
      assert.equal(r.code, 400, r.raw);
      assert.deepEqual(Object.keys(r.body), ["kind", "apiVersion", "metadata", "status", "message", "reason", "code"]);
      assert.equal(r.body.kind, "Status");
      assert.equal(r.body.reason, "BadRequest");
      assert.doesNotMatch(r.raw, /FST_ERR/);
    });
  }

  it("an undecodable path outside the SMI API keeps fastify's own answer", async () => {
    const r = await app.inject({ method: "GET", url: "/healthz/%ZZ" });
    assert.equal(r.statusCode, 400);
    assert.equal(JSON.parse(r.body).code, "FST_ERR_BAD_URL");
  });

  const bad: Array<[string, string]> = [
    ["quote", `${B}/namespaces/shop/deployments/a%22b`],
    ["backslash quote", `${B}/namespaces/shop/deployments/a%5C%22%7D`],
    ["braces", `${B}/namespaces/shop/deployments/%7Bjob%3D%22x%22%7D`],
    ["regex", `${B}/namespaces/shop/deployments/.%2B`],
    ["regex in namespace", `${B}/namespaces/sh.*/deployments`],
    ["300 characters", `${B}/namespaces/shop/deployments/${"a".repeat(300)}`],
    ["non-ASCII", `${B}/namespaces/shop/deployments/d%C3%A9j%C3%A0`],
    ["bad window", `${B}/namespaces/shop/deployments?window=5x`],
    ["negative window", `${B}/namespaces/shop/deployments?window=-5m`],
    ["window below scrape", `${B}/namespaces/shop/deployments?window=5s`],
    ["huge window", `${B}/namespaces/shop/deployments?window=99999d`],
    ["bad t", `${B}/namespaces/shop/deployments/frontend/edges?t=1.5x`],
    ["fractional seconds", `${B}/namespaces/shop/deployments/frontend/edges?t=90.5s`],
    ["t below scrape in ms", `${B}/namespaces/shop/deployments/frontend?t=19000ms`],
    ["t above 30 days", `${B}/namespaces/shop/deployments/frontend?t=720h1s`],
    ["zero t", `${B}/namespaces/shop/deployments/frontend?t=0`],
    ["bad at", `${B}/namespaces/shop/deployments?at=now`],
    ["bad selector", `${B}/namespaces/shop/deployments?labelSelector=app%20in%20(a`],
    ["selector needs a cluster", `${B}/namespaces/shop/deployments?labelSelector=app%3Dweb`],
  ];
  for (const [what, url] of bad) {
    it(`bad input (${what}) → 400 Status and no query reaches Prometheus`, async () => {
      prom.resetQueries();
      const r = await get(url);
      assert.equal(r.code, 400, r.raw);
      assert.equal(r.body.kind, "Status");
      assert.equal(r.body.reason, "BadRequest");
      assert.ok(r.body.details?.causes?.[0]?.field, `no details.causes[0].field: ${r.raw}`);
      // The query log is written asynchronously; give it a moment.
      await new Promise((res) => setTimeout(res, 300));
      assert.deepEqual(prom.queries(), []);
    });
  }

  it("real kubectl: list, get, edges and a 400 for a bad window", async () => {
    const port = await freePort();
    await app.listen({ port, host: "127.0.0.1" });
    const home = await mkdtemp(join(tmpdir(), "meshql-kubectl-"));
    const kubeconfig = join(home, "config");
    await writeFile(kubeconfig, "");
    const kubectl = (path: string) =>
      run("/usr/bin/kubectl", ["--server", `http://127.0.0.1:${port}`, "get", "--raw", path], {
        env: { ...process.env, KUBECONFIG: kubeconfig, HOME: home },
      });
    const list = JSON.parse((await kubectl(`${B}/namespaces/shop/deployments`)).stdout);
    assert.equal(list.kind, "TrafficMetricsList");
    assert.ok(list.items.some((i: { metadata: { name: string } }) => i.metadata.name === "frontend"));
    const one = JSON.parse((await kubectl(`${B}/namespaces/shop/deployments/frontend?t=5m`)).stdout);
    assert.equal(one.window, "5m0s");
    assert.deepEqual(one.resource, { kind: "Deployment", namespace: "shop", name: "frontend" });
    const edges = JSON.parse((await kubectl(`${B}/namespaces/shop/deployments/frontend/edges`)).stdout);
    assert.ok(
      edges.items.some(
        (i: { edge: { direction: string; resource: { name: string } } }) => i.edge.direction === "to" && i.edge.resource.name === "catalog",
      ),
    );
    await assert.rejects(kubectl(`${B}/namespaces/shop/deployments/frontend?t=banana`), (e: { stderr: string }) => {
      assert.match(e.stderr, /BadRequest|Bad Request/);
      assert.match(e.stderr, /banana/);
      return true;
    });
    const discovery = JSON.parse((await kubectl(B)).stdout);
    assert.equal(discovery.kind, "APIResourceList");
  });
});

describe("SMI query cost does not grow with the number of resources", { timeout: 300_000 }, () => {
  async function cost(n: number): Promise<{ list: number; edges: number; items: number }> {
    const prom = await startPrometheus({ model: buildModel(scaleTopology(n)), formats: [linkerd], ...SCALE_HISTORY });
    const gw = await gatewayFor(prom);
    try {
      prom.resetQueries();
      const list = await gw.app.inject({ url: `${B}/namespaces/scale/deployments?window=1m` });
      assert.equal(list.statusCode, 200, list.body);
      const items = JSON.parse(list.body).items.length;
      await new Promise((res) => setTimeout(res, 300));
      const listQueries = prom.queries().length;
      prom.resetQueries();
      const edges = await gw.app.inject({ url: `${B}/namespaces/scale/deployments/svc-001/edges?window=1m` });
      assert.equal(edges.statusCode, 200, edges.body);
      await new Promise((res) => setTimeout(res, 300));
      return { list: listQueries, edges: prom.queries().length, items };
    } finally {
      await gw.close();
      await prom.stop();
    }
  }

  it("3 and 300 deployments cost the same number of queries", async () => {
    const small = await cost(3);
    const large = await cost(300);
    assert.equal(small.items, 3);
    assert.equal(large.items, 300);
    assert.ok(small.list > 0, "the list must have queried the backend");
    assert.equal(large.list, small.list, `list: ${small.list} queries for 3, ${large.list} for 300`);
    assert.equal(large.edges, small.edges, `edges: ${small.edges} queries for 3, ${large.edges} for 300`);
  });
});
