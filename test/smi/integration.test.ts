// The SMI REST API end to end: the real gateway (service, Linkerd adapter,
// Prometheus client) against a real Prometheus backfilled with the topology's
// deterministic traffic. Golden documents live in test/golden/smi/; run with
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
import { linkerd } from "../../src/traffic/linkerd.ts";
import { buildModel } from "../../src/traffic/model.ts";
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

/** Compares a whole document with its golden file (pretty, key order kept). */
function golden(name: string, raw: string): void {
  const file = join(GOLDEN, `${name}.json`);
  const pretty = `${JSON.stringify(JSON.parse(raw), null, 2)}\n`;
  if (UPDATE || !existsSync(file)) {
    if (!UPDATE) assert.fail(`golden ${file} is missing: run with UPDATE_GOLDEN=1 and review it`);
    mkdirSync(GOLDEN, { recursive: true });
    writeFileSync(file, pretty);
    return;
  }
  assert.equal(pretty, readFileSync(file, "utf8"), `${name} differs from ${file}`);
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

  const shapes: Array<[string, string]> = [
    ["resource-list", `${B}/`],
    ["deployment", `${B}/namespaces/shop/deployments/frontend`],
    ["deployment-5m", `${B}/namespaces/shop/deployments/catalog?window=5m`],
    ["deployment-at", `${B}/namespaces/shop/deployments/catalog?t=5m&at=${T0 - 600}`],
    ["deployment-idle", `${B}/namespaces/shop/deployments/legacy-admin`],
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

  it("without a cluster, an idle resource is unknown: 404, never a made-up zero (test/server/cluster.test.ts covers the cluster case)", async () => {
    const r = await get(`${B}/namespaces/shop/deployments/legacy-admin`);
    assert.equal(r.code, 404);
    assert.equal(r.body.reason, "NotFound");
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
    ["bad t", `${B}/namespaces/shop/deployments/frontend/edges?t=1.5m`],
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
      run("/usr/bin/kubectl", ["--server", `http://127.0.0.1:${port}`, "get", "--raw", path], { env: { ...process.env, KUBECONFIG: kubeconfig, HOME: home } });
    const list = JSON.parse((await kubectl(`${B}/namespaces/shop/deployments`)).stdout);
    assert.equal(list.kind, "TrafficMetricsList");
    assert.ok(list.items.some((i: { metadata: { name: string } }) => i.metadata.name === "frontend"));
    const one = JSON.parse((await kubectl(`${B}/namespaces/shop/deployments/frontend?t=5m`)).stdout);
    assert.equal(one.window, "5m0s");
    assert.deepEqual(one.resource, { kind: "Deployment", namespace: "shop", name: "frontend" });
    const edges = JSON.parse((await kubectl(`${B}/namespaces/shop/deployments/frontend/edges`)).stdout);
    assert.ok(edges.items.some((i: { edge: { direction: string; resource: { name: string } } }) => i.edge.direction === "to" && i.edge.resource.name === "catalog"));
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
