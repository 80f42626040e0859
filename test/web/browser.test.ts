// The console and the GraphQL IDE in real Chromium (Debian's, through
// playwright-core) against a gateway over a real Prometheus holding the demo
// topology (emojivoto and storefront). The cluster, which makes idle and
// unmeshed workloads known, is the loopback fake Kubernetes API server (no
// kube-apiserver installs here). Screenshots go to .tmp/ for people.

import assert from "node:assert/strict";
import { mkdirSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import type { AddressInfo } from "node:net";
import type { Page, Request } from "playwright-core";
import { linkerd } from "../../src/demo/traffic/linkerd.ts";
import { demoTopology } from "../../src/demo/traffic/demo-topology.ts";
import { buildModel } from "../../src/demo/traffic/model.ts";
import type { Gateway } from "../../src/server/gateway.ts";
import { FakeKubeApiServer } from "../fakes/kube-apiserver.ts";
import { namespace } from "../fakes/kube-objects.ts";
import { objectsOf } from "../fakes/model-cluster.ts";
import { formatLatency, formatNumber, formatPercent, formatRps } from "../../web/src/format.ts";
import { T0, STEP } from "../fixtures/topology.ts";
import { fakeClusterFlags } from "../harness/kube.ts";
import { startPrometheus, type PrometheusInstance } from "../harness/prometheus.ts";
import { REPO_ROOT } from "../harness/tsdb.ts";
import { isLoopback, launchChromium, type LaunchedChromium } from "../support/chromium.ts";
import { testGateway } from "../support/gateway.ts";

const SHOTS = join(REPO_ROOT, ".tmp");
const model = buildModel(demoTopology);
const WORKLOAD_KINDS = new Set(["DEPLOYMENT", "STATEFULSET", "DAEMONSET", "JOB"]);
const id = (w: { kind: string; namespace: string; name: string }) => `${w.kind}/${w.namespace}/${w.name}`;

// The handle the console page sets on its window (web/src/main.ts): what is drawn, and where.
const drawnOn = async (page: Page) => (await page.evaluate("meshqlConsole.drawn()")) as { nodes: string[]; edges: string[] };
const positionOf = async (page: Page, node: string) =>
  (await page.evaluate(`meshqlConsole.nodePosition(${JSON.stringify(node)})`)) as { x: number; y: number } | null;

describe("console and IDE in Chromium", { timeout: 110_000 }, () => {
  let prom: PrometheusInstance;
  let gateway: Gateway;
  let chromium: LaunchedChromium;
  let fake: FakeKubeApiServer;
  let dir: string;
  let base: string;
  const requests: Request[] = [];

  before(async () => {
    mkdirSync(SHOTS, { recursive: true });
    fake = await FakeKubeApiServer.start({ clientToken: "meshql-sa" });
    for (const ns of model.namespaces) fake.apply(namespace(ns));
    for (const w of model.workloads) for (const o of objectsOf(w)) fake.apply(o);
    // Anonymous people see everything; vera, whose token a front proxy would pass, sees only the storefront.
    fake.users.set("vera-token", { username: "vera", groups: [] });
    fake.sarRules.push({ user: "system:anonymous", allowed: true }, { user: "vera", namespace: "storefront", allowed: true });
    dir = mkdtempSync(join(tmpdir(), "meshql-browser-test-"));
    prom = await startPrometheus({ model, formats: [linkerd], start: T0 - 15 * 60, end: T0, step: STEP });
    gateway = await testGateway(prom.url, "linkerd", {
      kube: fakeClusterFlags(fake, dir, true),
    });
    await gateway.app.listen({ host: "127.0.0.1", port: 0 });
    base = `http://127.0.0.1:${(gateway.app.server.address() as AddressInfo).port}`;
    chromium = await launchChromium();
    chromium.context.on("request", (r) => requests.push(r));
  });
  after(async () => {
    await chromium?.close();
    await gateway?.close();
    await prom?.stop();
    await fake?.close();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  const openConsole = async (): Promise<Page> => {
    const page = await chromium.context.newPage();
    await page.goto(`${base}/#ns=emojivoto,storefront&window=1m&refresh=off`);
    await page.waitForSelector("body[data-rendered]", { timeout: 30_000 });
    return page;
  };

  it("draws the demo graph with nothing loaded from outside the gateway", async () => {
    const page = await openConsole();
    await page.screenshot({ path: join(SHOTS, "console.png") });
    const drawn = await drawnOn(page);

    // Every workload of the two namespaces is a node, idle ones included.
    const workloads = model.workloads.filter((w) => WORKLOAD_KINDS.has(w.kind)).map(id);
    assert.equal(workloads.length, 34);
    for (const w of workloads) assert.ok(drawn.nodes.includes(w), `node ${w} is drawn`);
    // Until the graph query exists, edges come from Resource.edges, which pairs a workload with peers of its own kind.
    const sameKind = model.edges.filter((e) => e.from.kind === e.to.kind && e.from.meshed).map((e) => `${id(e.from)}->${id(e.to)}`);
    assert.deepEqual(drawn.edges.filter((e) => !e.startsWith("unknown->")).sort(), [...sameKind].sort());
    // The unmeshed load generator and the callers of other kinds arrive as unknown callers, never named.
    const unknownTargets = drawn.edges.filter((e) => e.startsWith("unknown->")).map((e) => e.slice("unknown->".length)).sort();
    const expectedUnknown = [
      ...new Set(model.edges.filter((e) => e.from.kind !== e.to.kind || !e.from.meshed).map((e) => id(e.to))),
    ].sort();
    assert.deepEqual(unknownTargets, expectedUnknown);
    assert.ok(drawn.nodes.includes("unknown"));

    const status = await page.textContent("#status");
    // Idle: legacy-reports and node-exporter, and db-migrate, whose only calls go to another kind.
    assert.match(status ?? "", /^35 nodes \(3 idle\)/);

    const outside = requests.map((r) => r.url()).filter((u) => !isLoopback(u));
    assert.deepEqual(outside, [], "requests to non-loopback hosts");
    assert.ok(requests.some((r) => r.url().endsWith("/graphql") && r.method() === "POST"), "the console asked the GraphQL API");
    await page.close();
  });

  it("shows a clicked node's numbers as the GraphQL API gives them", async () => {
    const page = await openConsole();
    const target = "DEPLOYMENT/storefront/payments";
    const at = await positionOf(page, target);
    assert.ok(at, "payments is drawn");
    await page.mouse.click(at.x, at.y);
    await page.waitForSelector("#details table.metrics");

    const response = await gateway.app.inject({
      method: "POST",
      url: "/graphql",
      headers: { "content-type": "application/json" },
      payload: {
        query: `{ resource(kind: DEPLOYMENT, namespace: "storefront", name: "payments") {
          metrics(window: "1m") { requestsPerSecond successRate requestCount failureCount latency { p50 p95 p99 } }
          edges(window: "1m") { peer { name } metrics { requestsPerSecond } } } }`,
      },
    });
    const m = response.json().data.resource.metrics;
    const shown = async (field: string) => (await page.textContent(`#details table.metrics td[data-field="${field}"]`))?.trim();
    assert.equal(await shown("rps"), formatRps(m.requestsPerSecond));
    assert.equal(await shown("success"), formatPercent(m.successRate));
    assert.equal(await shown("requests"), formatNumber(m.requestCount));
    assert.equal(await shown("failures"), formatNumber(m.failureCount));
    assert.equal(await shown("p50"), formatLatency(m.latency.p50));
    assert.equal(await shown("p99"), formatLatency(m.latency.p99));
    // The model says payments answers 8% 500s: the console must not round that away.
    assert.ok(m.successRate > 0.85 && m.successRate < 0.97, `success rate ${m.successRate}`);
    assert.equal(await page.locator("#details table.edges tr[data-edge]").count(), 2);
    assert.match((await page.textContent('#details [data-field="series"]')) ?? "", /no time series/);
    await page.screenshot({ path: join(SHOTS, "console-details.png") });
    await page.close();
  });

  it("never names a caller the user may not see", async () => {
    const page = await chromium.context.newPage();
    // What a front proxy or kubectl port-forward with a token gives the page: a bearer token on every request.
    await page.setExtraHTTPHeaders({ authorization: "Bearer vera-token" });
    await page.goto(`${base}/#ns=storefront&window=1m&refresh=off`);
    await page.waitForSelector("body[data-rendered]", { timeout: 30_000 });
    const drawn = await drawnOn(page);
    assert.ok(drawn.edges.includes("unknown->DEPLOYMENT/storefront/ads"), "emojivoto/web's calls to ads arrive from the unknown node");
    assert.ok(!drawn.nodes.some((n) => n.includes("emojivoto")), "no emojivoto node");
    const ads = await positionOf(page, "DEPLOYMENT/storefront/ads");
    assert.ok(ads);
    await page.mouse.click(ads.x, ads.y);
    await page.waitForSelector("#details table.edges");
    assert.doesNotMatch(await page.content(), /emojivoto/);
    assert.doesNotMatch((await page.textContent("#namespace-list")) ?? "", /emojivoto/);
    await page.close();
  });

  it("runs an example operation in the GraphQL IDE", async () => {
    const page = await chromium.context.newPage();
    const before = requests.length;
    await page.goto(`${base}/graphql`);
    await page.waitForSelector(".graphiql-execute-button", { timeout: 30_000 });
    // The schema arrives by introspection before the editor can run anything.
    await page.waitForSelector(".graphiql-query-editor .view-lines", { timeout: 30_000 });
    await page.click(".graphiql-execute-button");
    try {
      await page.locator(".result-window").getByText('"vote-bot"').first().waitFor({ timeout: 30_000 });
    } finally {
      await page.screenshot({ path: join(SHOTS, "graphql-ide.png") });
    }
    const outside = requests.slice(before).map((r) => r.url()).filter((u) => !isLoopback(u));
    assert.deepEqual(outside, [], "requests to non-loopback hosts");
    await page.close();
  });
});
