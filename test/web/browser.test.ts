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
import type { Page, Request, WebSocket } from "playwright-core";
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
import { close, testGateway } from "../support/gateway.ts";

const SHOTS = join(REPO_ROOT, ".tmp");
const model = buildModel(demoTopology);
const WORKLOAD_KINDS = new Set(["DEPLOYMENT", "STATEFULSET", "DAEMONSET", "JOB"]);
const id = (w: { kind: string; namespace: string; name: string }) => `${w.kind}/${w.namespace}/${w.name}`;

/** Polls an expression in the page until it is true (waitForFunction would eval, which the console's CSP forbids). */
async function until(page: Page, expression: string, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await page.evaluate(expression))) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${expression}`);
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
}

// The handle the console page sets on its window (web/src/main.ts): what is drawn, and where.
const drawnOn = async (page: Page) => (await page.evaluate("meshqlConsole.drawn()")) as { nodes: string[]; edges: string[] };
const positionOf = async (page: Page, node: string) =>
  (await page.evaluate(`meshqlConsole.nodePosition(${JSON.stringify(node)})`)) as { x: number; y: number } | null;

describe("console and IDE in Chromium", { timeout: 240_000 }, () => {
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

  const openConsole = async (hash = "ns=emojivoto,storefront&window=1m&refresh=off"): Promise<Page> => {
    const page = await chromium.context.newPage();
    await page.goto(`${base}/#${hash}`);
    await page.waitForSelector("body[data-rendered]", { timeout: 30_000 });
    return page;
  };
  const graphql = async <T>(query: string, variables: Record<string, unknown> = {}): Promise<T> => {
    const response = await gateway.app.inject({
      method: "POST",
      url: "/graphql",
      headers: { "content-type": "application/json" },
      payload: { query, variables },
    });
    const body = response.json() as { data: T; errors?: unknown[] };
    assert.equal(body.errors, undefined, JSON.stringify(body.errors));
    return body.data;
  };
  const shown = async (page: Page, field: string) => (await page.textContent(`#details table.metrics td[data-field="${field}"]`))?.trim();
  type Sparklines = Record<string, { x: number[]; y: Array<number | null> }>;
  const sparklinesOn = async (page: Page): Promise<Sparklines> => {
    await page.waitForSelector('#details .spark[data-series="p99"] canvas', { timeout: 30_000 });
    return (await page.evaluate("meshqlConsole.sparklines()")) as Sparklines;
  };
  type Point = { timestamp: string; requestsPerSecond: number; successRate: number | null; latency: { p99: number | null } };
  const POINT = "timestamp requestsPerSecond successRate latency { p99 }";
  /** The sparklines hold the series answer's points, and nothing else. */
  const assertDrawnFrom = (drawn: Sparklines, points: readonly Point[]) => {
    // The test backfills 15 minutes: the hour's earlier steps are absent, not zero.
    assert.ok(points.length >= 10 && points.length <= 20, `${points.length} points in the last hour`);
    const x = points.map((p) => Date.parse(p.timestamp) / 1000);
    assert.deepEqual(drawn.success, { x, y: points.map((p) => p.successRate) });
    assert.deepEqual(drawn.rps, { x, y: points.map((p) => p.requestsPerSecond) });
    assert.deepEqual(drawn.p99, { x, y: points.map((p) => p.latency.p99) });
  };

  // The graph as the API answers it: the console must draw exactly this.
  const GRAPH = `query($namespaces: [String!]) { graph(namespaces: $namespaces, window: "1m") {
    nodes { id type metrics { requestsPerSecond successRate requestCount failureCount latency { p50 p99 } } }
    edges { source { id } destination { id } } } }`;
  type GraphAnswer = {
    graph: {
      nodes: Array<{
        id: string;
        type: string;
        metrics: {
          requestsPerSecond: number;
          successRate: number | null;
          requestCount: number;
          failureCount: number;
          latency: { p50: number | null; p99: number | null };
        };
      }>;
      edges: Array<{ source: { id: string }; destination: { id: string } }>;
    };
  };

  it("draws the demo graph, cross-kind edges and unknown callers included, with nothing loaded from outside the gateway", async () => {
    const page = await openConsole();
    await page.screenshot({ path: join(SHOTS, "console.png") });
    const drawn = await drawnOn(page);

    // Every workload of the two namespaces is a node, idle and unmeshed ones included, plus the unknown callers.
    const workloads = model.workloads.filter((w) => WORKLOAD_KINDS.has(w.kind)).map(id);
    assert.equal(workloads.length, 34);
    assert.deepEqual([...drawn.nodes].sort(), [...workloads, "unknown"].sort());
    // Every call a meshed client made is an edge, whatever the kinds at its ends; the unmeshed load generator is an unknown caller.
    const meshed = model.edges.filter((e) => e.from.meshed).map((e) => `${id(e.from)}->${id(e.to)}`);
    const unknown = [...new Set(model.edges.filter((e) => !e.from.meshed).map((e) => `unknown->${id(e.to)}`))];
    assert.deepEqual(unknown, ["unknown->DEPLOYMENT/storefront/web-frontend"]);
    assert.deepEqual([...drawn.edges].sort(), [...meshed, ...unknown].sort());
    for (const e of [
      "DEPLOYMENT/storefront/cart->STATEFULSET/storefront/redis",
      "DAEMONSET/storefront/fluent-bit->STATEFULSET/storefront/elasticsearch",
      "JOB/storefront/db-migrate->STATEFULSET/storefront/postgres",
      "DEPLOYMENT/storefront/recommendations->DEPLOYMENT/emojivoto/emoji",
    ]) {
      assert.ok(drawn.edges.includes(e), `cross-kind or cross-namespace edge ${e} is drawn`);
    }
    // ...and that is what the graph query answers.
    const api = (await graphql<GraphAnswer>(GRAPH, { namespaces: ["emojivoto", "storefront"] })).graph;
    assert.deepEqual([...drawn.nodes].sort(), api.nodes.map((n) => n.id).sort());
    assert.deepEqual([...drawn.edges].sort(), api.edges.map((e) => `${e.source.id}->${e.destination.id}`).sort());

    const status = await page.textContent("#status");
    // Idle: legacy-reports and node-exporter; auto-refresh is off in this page.
    assert.match(status ?? "", /^35 nodes \(2 idle\), 36 edges .* auto-refresh off$/);

    const outside = requests.map((r) => r.url()).filter((u) => !isLoopback(u));
    assert.deepEqual(outside, [], "requests to non-loopback hosts");
    const graphPosts = requests.filter(
      (r) => r.url().endsWith("/graphql") && r.method() === "POST" && (r.postData() ?? "").includes("ConsoleGraph"),
    );
    assert.equal(graphPosts.length, 1, "one graph query draws the whole picture");
    await page.close();
  });

  it("shows a clicked node's numbers and sparklines as the GraphQL API gives them", async () => {
    const page = await openConsole();
    const target = "DEPLOYMENT/storefront/payments";
    const at = await positionOf(page, target);
    assert.ok(at, "payments is drawn");
    await page.mouse.click(at.x, at.y);
    await page.waitForSelector("#details table.metrics");

    const m = (await graphql<GraphAnswer>(GRAPH, { namespaces: ["emojivoto", "storefront"] })).graph.nodes.find(
      (n) => n.id === target,
    )!.metrics;
    assert.equal(await shown(page, "rps"), formatRps(m.requestsPerSecond));
    assert.equal(await shown(page, "success"), formatPercent(m.successRate));
    assert.equal(await shown(page, "requests"), formatNumber(m.requestCount));
    assert.equal(await shown(page, "failures"), formatNumber(m.failureCount));
    assert.equal(await shown(page, "p50"), formatLatency(m.latency.p50));
    assert.equal(await shown(page, "p99"), formatLatency(m.latency.p99));
    // The model says payments answers 8% 500s: the console must not round that away.
    assert.ok(m.successRate !== null && m.successRate > 0.85 && m.successRate < 0.97, `success rate ${m.successRate}`);
    assert.equal(await page.locator("#details table.edges tr[data-edge]").count(), 2);

    // The sparklines are the node's `series` over the last hour, point for point.
    const drawn = await sparklinesOn(page);
    const series = await graphql<{ graph: { nodes: Array<{ id: string; series: Point[] }> } }>(
      `{ graph(namespaces: ["storefront"], window: "1m") { nodes { id series(range: "1h") { ${POINT} } } } }`,
    );
    const points = series.graph.nodes.find((n) => n.id === target)!.series;
    assertDrawnFrom(drawn, points);
    assert.equal(
      (await page.textContent('.spark[data-series="rps"] [data-field="last"]'))?.trim(),
      `last ${formatRps(points.at(-1)!.requestsPerSecond)}`,
    );
    await page.screenshot({ path: join(SHOTS, "console-details.png") });
    await page.close();
  });

  // Edges between named workloads take their series from one end's `edges`, the unknown caller's from the graph's edges.
  // Cross-kind, both read the namespace's workload traffic; a same-kind edge's is Edge.series of its source.
  const sameKind = model.edges.find(
    (e) => e.from.meshed && e.from.namespace === "storefront" && e.to.namespace === "storefront" && e.from.kind === e.to.kind,
  )!;
  for (const edge of [
    "DEPLOYMENT/storefront/cart->STATEFULSET/storefront/redis",
    `${id(sameKind.from)}->${id(sameKind.to)}`,
    "unknown->DEPLOYMENT/storefront/web-frontend",
  ]) {
    it(`shows a clicked edge's numbers and sparklines from the edge's series: ${edge}`, async () => {
      const page = await openConsole();
      const at = (await page.evaluate(`meshqlConsole.edgeMidpoint(${JSON.stringify(edge)})`)) as { x: number; y: number } | null;
      assert.ok(at, "the edge is drawn");
      await page.mouse.click(at.x, at.y);
      await page.waitForSelector("#details table.metrics");
      if (edge.endsWith("redis"))
        assert.match((await page.textContent("#details h2")) ?? "", /^cart · storefront → redis \(statefulset\) · storefront$/);

      const answer = await graphql<{
        graph: {
          edges: Array<{
            source: { id: string };
            destination: { id: string };
            metrics: GraphAnswer["graph"]["nodes"][number]["metrics"];
            series: Point[];
          }>;
        };
      }>(
        `{ graph(namespaces: ["storefront"], window: "1m") { edges { source { id } destination { id }
            metrics { requestsPerSecond successRate requestCount failureCount latency { p50 p99 } } series(range: "1h") { ${POINT} } } } }`,
      );
      const e = answer.graph.edges.find((x) => `${x.source.id}->${x.destination.id}` === edge)!;
      assert.equal(await shown(page, "rps"), formatRps(e.metrics.requestsPerSecond));
      assert.equal(await shown(page, "p99"), formatLatency(e.metrics.latency.p99));
      if (!edge.startsWith(id(sameKind.from))) return assertDrawnFrom(await sparklinesOn(page), e.series);
      // Edge.series of a same-kind edge is not bit-for-bit repeatable (float sums in another order, from one request to the
      // next: a p99 on a bucket's edge even flips bucket), so it is compared within float noise, without p99.
      const own = await graphql<{ resource: { edges: Array<{ peer: { name: string }; series: Point[] }> } }>(
        `query($name: String!) { resource(kind: ${sameKind.from.kind}, namespace: "storefront", name: $name) {
            edges(direction: TO) { peer { name } series(range: "1h") { ${POINT} } } } }`,
        { name: sameKind.from.name },
      );
      const points = own.resource.edges.find((x) => x.peer.name === sameKind.to.name)!.series;
      const drawn = await sparklinesOn(page);
      assert.deepEqual(
        drawn.rps!.x,
        points.map((p) => Date.parse(p.timestamp) / 1000),
      );
      const near = (a: Array<number | null>, b: Array<number | null>) =>
        a.every((x, i) => (x === null ? b[i] === null : close(b[i], x, 1e-9)));
      assert.ok(
        near(
          drawn.rps!.y,
          points.map((p) => p.requestsPerSecond),
        ),
        "rps",
      );
      assert.ok(
        near(
          drawn.success!.y,
          points.map((p) => p.successRate),
        ),
        "success rate",
      );
      await page.close();
    });
  }

  it("keeps one performance entry per measure, however often it draws", async () => {
    const page = await openConsole();
    await page.selectOption("#window", "5m");
    await until(page, `document.getElementById("status").textContent.includes("window 5m")`, 30_000);
    const entries = (await page.evaluate(`["meshql:graph", "meshql:draw"].map((n) => performance.getEntriesByName(n).length)`)) as number[];
    assert.deepEqual(entries, [1, 1], "two loads and draws, the latest entry of each kept");
    await page.close();
  });

  it("shows a refused live graph's error without giving up the WebSocket, and goes live once the input is fixed", async () => {
    const page = await chromium.context.newPage();
    // vera may not see emojivoto: the gateway answers FORBIDDEN and ends that stream.
    await page.setExtraHTTPHeaders({ authorization: "Bearer vera-token" });
    await page.goto(`${base}/#ns=emojivoto&window=1m`);
    await page.waitForSelector("#status.error", { timeout: 30_000 });
    const refused = (await page.textContent("#status")) ?? "";
    assert.match(refused, /FORBIDDEN/);
    // Give a fallback to polling the time to show itself, were there one.
    await new Promise((resolve) => setTimeout(resolve, 1000));
    assert.doesNotMatch((await page.textContent("#status")) ?? "", /polling/);
    await page.click("#namespaces summary");
    await page.check('#namespace-list input[value="storefront"]');
    await until(page, "Number(document.body.dataset.liveEvents) >= 1", 30_000);
    assert.match((await page.textContent("#status")) ?? "", /live: \d+ updates? over WebSocket$/);
    await page.close();
  });

  it("never names a peer the user may not see", async () => {
    const page = await chromium.context.newPage();
    // What a front proxy or kubectl port-forward with a token gives the page: a bearer token on every request.
    await page.setExtraHTTPHeaders({ authorization: "Bearer vera-token" });
    await page.goto(`${base}/#ns=storefront&window=1m&refresh=off`);
    await page.waitForSelector("body[data-rendered]", { timeout: 30_000 });
    const drawn = await drawnOn(page);
    // emojivoto/web calls ads and recommendations calls emojivoto/emoji: both are one hidden node each, with an opaque id.
    const hidden = drawn.nodes.filter((n) => n.startsWith("hidden/"));
    assert.equal(hidden.length, 2);
    assert.ok(
      drawn.edges.some((e) => hidden.some((h) => e === `${h}->DEPLOYMENT/storefront/ads`)),
      "a hidden caller of ads",
    );
    assert.ok(
      drawn.edges.some((e) => hidden.some((h) => e === `DEPLOYMENT/storefront/recommendations->${h}`)),
      "a hidden peer called by recommendations",
    );
    assert.ok(!drawn.nodes.some((n) => n.includes("emojivoto")), "no emojivoto node");
    const ads = await positionOf(page, "DEPLOYMENT/storefront/ads");
    assert.ok(ads);
    await page.mouse.click(ads.x, ads.y);
    await page.waitForSelector("#details table.edges");
    assert.match((await page.textContent("#details table.edges")) ?? "", /not visible to you/);
    await page.screenshot({ path: join(SHOTS, "console-hidden.png") });
    assert.doesNotMatch(await page.content(), /emojivoto/);
    assert.doesNotMatch((await page.textContent("#namespace-list")) ?? "", /emojivoto/);
    await page.close();
  });

  it("follows the graph subscription over WebSocket, and time travel stops it", async () => {
    const page = await chromium.context.newPage();
    const frames: Array<{ type: string; payload?: { data?: { graph?: { nodes: Array<{ id: string }> } } } }> = [];
    const sockets: WebSocket[] = [];
    page.on("websocket", (ws) => {
      sockets.push(ws);
      ws.on("framereceived", (f) => frames.push(JSON.parse(String(f.payload))));
    });
    const before = requests.length;
    await page.goto(`${base}/#ns=emojivoto,storefront&window=1m`);
    // The first event comes at once, the next a scrape interval (10 s here) later.
    await until(page, "Number(document.body.dataset.liveEvents) >= 2", 40_000);
    const events = frames.filter((f) => f.type === "next");
    assert.ok(events.length >= 2, `${events.length} events`);
    assert.deepEqual(
      sockets.map((s) => new URL(s.url()).pathname),
      ["/graphql"],
    );
    assert.ok(sockets.every((s) => isLoopback(s.url().replace(/^ws/, "http"))));
    // What is drawn is the last event, and no graph query went over HTTP.
    assert.deepEqual(
      (await drawnOn(page)).nodes.sort(),
      events
        .at(-1)!
        .payload!.data!.graph!.nodes.map((n) => n.id)
        .sort(),
    );
    const posts = requests.slice(before).filter((r) => r.method() === "POST" && (r.postData() ?? "").includes("ConsoleGraph"));
    assert.deepEqual(posts, []);
    assert.match((await page.textContent("#status")) ?? "", /live: \d+ updates? over WebSocket$/);

    // Time travel: one query at that moment, and the socket closes.
    const closed = new Promise<void>((resolve) => sockets[0]!.on("close", () => resolve()));
    // The input takes the browser's local time: five minutes before the gateway's clock.
    const local = (await page.evaluate(
      `(() => { const d = new Date(${(T0 - 300) * 1000}); ` +
        "return new Date(d.getTime() - d.getTimezoneOffset() * 60000).toISOString().slice(0, 19); })()",
    )) as string;
    await page.fill("#at", local);
    await page.dispatchEvent("#at", "change");
    await closed;
    await until(page, "/live updates paused/.test(document.getElementById('status').textContent)", 30_000);
    await page.close();
  });

  it("polls the graph query instead when the WebSocket fails", async () => {
    const page = await chromium.context.newPage();
    // A proxy that refuses WebSocket: the upgrade is answered with a close at once.
    await page.routeWebSocket(/\/graphql$/, (ws) => ws.close({ code: 1011, reason: "refused by a proxy" }));
    const before = requests.length;
    await page.goto(`${base}/#ns=emojivoto,storefront&window=1m`);
    await page.waitForSelector("body[data-rendered]", { timeout: 30_000 });
    assert.match(
      (await page.textContent("#status")) ?? "",
      /polling every 10s \(the live connection closed \(1011: refused by a proxy\)\)$/,
    );
    const posts = requests.slice(before).filter((r) => r.method() === "POST" && (r.postData() ?? "").includes("ConsoleGraph"));
    assert.equal(posts.length, 1);
    const api = (await graphql<GraphAnswer>(GRAPH, { namespaces: ["emojivoto", "storefront"] })).graph;
    assert.deepEqual((await drawnOn(page)).nodes.sort(), api.nodes.map((n) => n.id).sort());
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
    const outside = requests
      .slice(before)
      .map((r) => r.url())
      .filter((u) => !isLoopback(u));
    assert.deepEqual(outside, [], "requests to non-loopback hosts");
    await page.close();
  });
});
