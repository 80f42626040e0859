// GraphQL subscriptions over WebSocket against a real Prometheus backfilled
// from the scale topology, with the gateway's clock at the fixture time T0:
// every event evaluates the same moment, so its numbers are the model's.
// The gateway's scrape interval is set to 1s to keep the streams quick.

import assert from "node:assert/strict";
import { createConnection, type Socket } from "node:net";
import { after, before, describe, it } from "node:test";
import WebSocket from "ws";
import { windowOfSeconds } from "../../src/domain/window.ts";
import type { Gateway } from "../../src/server/gateway.ts";
import { linkerd } from "../../src/demo/traffic/linkerd.ts";
import { buildModel } from "../../src/demo/traffic/model.ts";
import { expectedInbound, expectedTraffic } from "../fixtures/expected.ts";
import { SCALE_HISTORY, SCALE_NAMESPACE, T0, scaleTopology } from "../fixtures/topology.ts";
import { LiveGraphDocument, LiveNamespaceOverviewDocument, LiveResourcesDocument } from "../generated/graphql.ts";
import { startPrometheus, type PrometheusInstance } from "../harness/prometheus.ts";
import { close, testGateway } from "../support/gateway.ts";
import { liveClient, record, type LiveClient } from "../support/live.ts";

const model = buildModel(scaleTopology(3));
const FAST = { scrapeInterval: windowOfSeconds(1) } as const;
let prometheus: PrometheusInstance;
const gateways: Gateway[] = [];
const clients: LiveClient[] = [];

async function serve(overrides: Parameters<typeof testGateway>[2] = {}, on = prometheus): Promise<{ gateway: Gateway; url: string }> {
  const gateway = await testGateway(on.url, "linkerd", { ...FAST, ...overrides });
  gateways.push(gateway);
  return { gateway, url: await gateway.app.listen({ host: "127.0.0.1", port: 0 }) };
}

function connect(url: string, options?: Parameters<typeof liveClient>[1]): LiveClient {
  const c = liveClient(url, options);
  clients.push(c);
  return c;
}

const runs = async (gateway: Gateway): Promise<number> => (await gateway.metrics.subscriptionRuns.get()).values[0]?.value ?? 0;
const settle = (ms = 300) => new Promise((resolve) => setTimeout(resolve, ms));

before(async () => {
  prometheus = await startPrometheus({ model, formats: [linkerd], ...SCALE_HISTORY });
});

after(async () => {
  for (const c of clients) await c.dispose().catch(() => {});
  for (const g of gateways) await g.close().catch(() => {});
  await prometheus?.stop();
});

describe("subscriptions over WebSocket", () => {
  it("streams the selection at every interval, each event the model's numbers", async () => {
    const { url } = await serve();
    const stream = record(connect(url), LiveResourcesDocument, { kind: "DEPLOYMENT", namespace: SCALE_NAMESPACE, window: "1m" });
    await stream.until(3);
    for (const event of stream.events.slice(0, 3)) {
      assert.equal(event.errors, undefined, JSON.stringify(event.errors));
      const resources = event.data!.resources;
      assert.deepEqual(
        resources.map((r) => r.name),
        ["svc-000", "svc-001", "svc-002"],
      );
      for (const r of resources) {
        const expected = expectedInbound(model, { kind: "DEPLOYMENT", namespace: SCALE_NAMESPACE, name: r.name }, T0 - 60, T0);
        assert.ok(close(r.metrics!.requestCount, expected.total, 1e-6), `${r.name}: ${r.metrics!.requestCount} vs ${expected.total}`);
        assert.equal(r.metrics!.timestamp, new Date(T0 * 1000).toISOString());
      }
    }
    // The default interval is the scrape interval (1s here): three events do not take ten seconds.
    assert.ok(stream.events[2]!.receivedAt - stream.events[0]!.receivedAt < 5000);
    stream.unsubscribe();
  });

  it("streams the workload graph, each event the model's nodes and edges", async () => {
    const { url } = await serve();
    const client = connect(url);
    const stream = record(client, LiveGraphDocument, { namespaces: [SCALE_NAMESPACE], window: "1m" });
    await stream.until(2);
    const pairs = expectedTraffic(model, [SCALE_NAMESPACE], T0 - 60, T0);
    for (const event of stream.events.slice(0, 2)) {
      assert.equal(event.errors, undefined, JSON.stringify(event.errors));
      const graph = event.data!.graph;
      assert.equal(graph.timestamp, new Date(T0 * 1000).toISOString());
      assert.deepEqual(
        graph.nodes.map((n) => n.id),
        ["DEPLOYMENT/scale/svc-000", "DEPLOYMENT/scale/svc-001", "DEPLOYMENT/scale/svc-002"],
      );
      assert.equal(graph.edges.length, pairs.length);
      for (const p of pairs) {
        const e = graph.edges.find(
          (x) => x.source.id === `DEPLOYMENT/scale/${p.from!.name}` && x.destination.id === `DEPLOYMENT/scale/${p.to.name}`,
        );
        assert.ok(close(e?.metrics?.requestCount, p.counts.total, 1e-6), `${p.from!.name} -> ${p.to.name}`);
      }
    }
    // The tests after this one count the backend's queries: this stream must not add to them.
    await client.dispose();
  });

  it("runs the selection once per interval for many identical subscribers, and the backend sees one run's queries", async () => {
    const { gateway, url } = await serve();
    const variables = { kind: "DEPLOYMENT", namespace: SCALE_NAMESPACE, window: "1m" } as const;

    // One subscriber, one run (30d: no second one comes while we count).
    prometheus.resetQueries();
    const runs0 = await runs(gateway);
    const single = record(connect(url), LiveResourcesDocument, { ...variables, every: "30d" });
    await single.until(1);
    single.unsubscribe();
    await settle();
    const perRun = prometheus.queries().length / ((await runs(gateway)) - runs0);
    assert.ok(Number.isInteger(perRun) && perRun > 0, `queries per run: ${perRun}`);

    // Sixty subscribers on three connections, same document and variables, same (anonymous) user.
    const connections = [connect(url), connect(url), connect(url)];
    prometheus.resetQueries();
    const runs1 = await runs(gateway);
    const started = Date.now();
    const streams = Array.from({ length: 60 }, (_, i) => record(connections[i % 3]!, LiveResourcesDocument, variables));
    await Promise.all(streams.map((s) => s.until(3)));
    const elapsedIntervals = Math.ceil((Date.now() - started) / 1000);
    for (const s of streams) s.unsubscribe();
    await settle();
    const executed = (await runs(gateway)) - runs1;
    const events = streams.reduce((n, s) => n + s.events.length, 0);
    assert.ok(events >= 180, `${events} events`);
    assert.ok(executed <= elapsedIntervals + 1, `${executed} runs in ${elapsedIntervals} intervals for 60 subscribers`);
    // Runs that overlap share in-flight queries (CoalescingQuerier), so a run costs at most perRun.
    const queries = prometheus.queries().length;
    assert.ok(queries <= executed * perRun && queries >= perRun, `${queries} queries for ${executed} runs of ${perRun}`);
    // Every subscriber saw the same answers.
    assert.deepEqual(new Set(streams.map((s) => JSON.stringify(s.events[0]!.data))).size, 1);
  });

  it("costs the backend the same per interval at 3 and at 300 workloads", async () => {
    const big = await startPrometheus({ model: buildModel(scaleTopology(300)), formats: [linkerd], ...SCALE_HISTORY });
    try {
      const perRun: Record<number, number> = {};
      for (const [n, on] of [
        [3, prometheus],
        [300, big],
      ] as const) {
        const { gateway, url } = await serve({ queryTimeoutMs: 60_000 }, on);
        on.resetQueries();
        const runs0 = await runs(gateway);
        // every 30d: the one run at subscribe time, nothing overlapping it.
        const stream = record(connect(url), LiveNamespaceOverviewDocument, { namespace: SCALE_NAMESPACE, window: "1m", every: "30d" });
        await stream.until(1, 60_000);
        stream.unsubscribe();
        await settle(1000);
        assert.equal(stream.events[0]!.errors, undefined, JSON.stringify(stream.events[0]!.errors));
        assert.equal(stream.events[0]!.data!.resources.length, n);
        assert.equal((await runs(gateway)) - runs0, 1);
        perRun[n] = on.queries().length;
      }
      assert.ok(perRun[3]! > 0);
      assert.equal(perRun[300], perRun[3], `queries per interval: ${JSON.stringify(perRun)}`);
    } finally {
      await big.stop();
    }
  });

  it("refuses an interval below the scrape interval with BAD_USER_INPUT", async () => {
    const { url } = await serve({ scrapeInterval: windowOfSeconds(10) });
    const stream = record(connect(url), LiveResourcesDocument, { kind: "DEPLOYMENT", namespace: SCALE_NAMESPACE, every: "5s" });
    const ending = await stream.ended;
    assert.equal(ending.how, "error");
    const errors = (ending as { error: Array<{ message: string; extensions: Record<string, string> }> }).error;
    assert.equal(errors[0]!.extensions.code, "BAD_USER_INPUT");
    assert.equal(errors[0]!.extensions.argument, "every");
    assert.match(errors[0]!.message, /shorter than the backend's scrape interval 10s/);
    const bad = record(connect(url), LiveResourcesDocument, { kind: "DEPLOYMENT", every: "soon" });
    const badEnding = (await bad.ended) as { error: Array<{ extensions: Record<string, string> }> };
    assert.equal(badEnding.error[0]!.extensions.code, "BAD_USER_INPUT");
  });

  it("limits subscriptions per connection and connections per gateway", async () => {
    const { url } = await serve({ subscriptions: { maxSubscriptionsPerConnection: 2, maxConnections: 2 } });
    const one = connect(url);
    const variables = { kind: "DEPLOYMENT", namespace: SCALE_NAMESPACE } as const;
    const [a, b] = [record(one, LiveResourcesDocument, variables), record(one, LiveResourcesDocument, variables)];
    await Promise.all([a.until(1), b.until(1)]);
    const third = (await record(one, LiveResourcesDocument, variables).ended) as {
      how: string;
      error: Array<{ extensions: Record<string, string> }>;
    };
    assert.equal(third.how, "error");
    assert.equal(third.error[0]!.extensions.code, "TOO_MANY_SUBSCRIPTIONS");

    const two = connect(url);
    await record(two, LiveResourcesDocument, variables).until(1);
    const status = await new Promise<number>((resolve, reject) => {
      const ws = new WebSocket(`${url.replace("http", "ws")}/graphql`, "graphql-transport-ws");
      ws.on("unexpected-response", (_req, res) => resolve(res.statusCode ?? 0));
      ws.on("open", () => reject(new Error("a third connection was accepted")));
      ws.on("error", () => {});
    });
    assert.equal(status, 503);
  });

  it("closes a connection that does not read its events instead of buffering them", async () => {
    const { gateway, url } = await serve({ subscriptions: { maxBufferedBytes: 256 * 1024 } });
    // About 100 kB per event (3 resources, 2,000 aliases each), 50 streams: the socket buffers fill in a few intervals.
    const aliases = Array.from({ length: 2000 }, (_, i) => `a${i}: name`).join(" ");
    const document = `subscription { resources(kind: DEPLOYMENT, namespace: "${SCALE_NAMESPACE}") { ${aliases} } }`;
    let socket: Socket | null = null;
    const slow = connect(url, {
      socket: {
        createConnection: (options) => {
          socket = createConnection(options as { port: number; host: string });
          return socket;
        },
      },
    });
    const streams = Array.from({ length: 50 }, () => record(slow, document, {}));
    await streams[0]!.until(1);
    socket!.pause();
    const deadline = Date.now() + 30_000;
    while ((await gateway.metrics.slowConsumers.get()).values[0]?.value !== 1 && Date.now() < deadline) await settle(200);
    assert.equal((await gateway.metrics.slowConsumers.get()).values[0]?.value, 1, "the slow connection was dropped");
    socket!.resume();
    await Promise.all(streams.map((s) => s.ended));
    assert.ok(slow.closes.length > 0 && [1008, 1006].includes(slow.closes[0]!.code), JSON.stringify(slow.closes));
    // The gateway keeps serving others.
    await record(connect(url), LiveResourcesDocument, { kind: "DEPLOYMENT", namespace: SCALE_NAMESPACE }).until(1);
  });

  it("completes every stream and closes every connection with 1001 when the gateway closes", async () => {
    const { gateway, url } = await serve();
    const one = connect(url, { lazy: false });
    const streams = [
      record(one, LiveResourcesDocument, { kind: "DEPLOYMENT", namespace: SCALE_NAMESPACE }),
      record(one, LiveResourcesDocument, { kind: "NAMESPACE" }),
      record(connect(url), LiveResourcesDocument, { kind: "DEPLOYMENT" }),
    ];
    await Promise.all(streams.map((s) => s.until(1)));
    await gateway.close();
    for (const s of streams) assert.deepEqual(await s.ended, { how: "complete" });
    await settle(100);
    assert.equal(one.closes[0]?.code, 1001);
    assert.equal((await gateway.metrics.subscriptions.get()).values[0]?.value, 0);
  });
});
