// A subscription as time passes: the live generator (src/demo/traffic/live.ts) is
// scraped every second by a real Prometheus, the gateway runs on the wall
// clock with a 1s scrape interval, and each event is checked against the
// traffic model over the event's own window.

import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { windowOfSeconds } from "../../src/domain/window.ts";
import type { Gateway } from "../../src/server/gateway.ts";
import { emojivoto } from "../../src/demo/traffic/emojivoto.ts";
import { linkerd } from "../../src/demo/traffic/linkerd.ts";
import { startLive, type LiveEndpoint } from "../../src/demo/traffic/live.ts";
import { buildModel } from "../../src/demo/traffic/model.ts";
import { expectedInbound } from "../fixtures/expected.ts";
import { LiveResourceDocument } from "../generated/graphql.ts";
import { startPrometheus, type PrometheusInstance } from "../harness/prometheus.ts";
import { testGateway } from "../support/gateway.ts";
import { liveClient, record, type LiveClient } from "../support/live.ts";

const model = buildModel(emojivoto);
const web = { kind: "DEPLOYMENT", namespace: "emojivoto", name: "web" } as const;
let live: LiveEndpoint;
let prometheus: PrometheusInstance;
let gateway: Gateway;
let client: LiveClient;

before(async () => {
  live = await startLive({ model, formats: [linkerd] });
  prometheus = await startPrometheus({ scrapeTargets: [new URL(live.url).host], scrapeInterval: "1s" });
  gateway = await testGateway(prometheus.url, "linkerd", { scrapeInterval: windowOfSeconds(1), clock: () => new Date() });
  client = liveClient(await gateway.app.listen({ host: "127.0.0.1", port: 0 }));
});

after(async () => {
  await client?.dispose();
  await gateway?.close();
  await prometheus?.stop();
  await live?.close();
});

describe("a subscription on the live generator", () => {
  it("sends one event per scrape interval, each the model's traffic over its window", async () => {
    // A 10s window holds ten scrapes: one late scrape on a busy machine moves the count by a tenth, not a fifth.
    const stream = record(client, LiveResourceDocument, { ...web, window: "10s" });
    // Rates need two scrapes in the window, and a full window of them to extrapolate as the model counts.
    const warmup = Date.now() + 13_000;
    await stream.until(1);
    while (Date.now() < warmup) await new Promise((r) => setTimeout(r, 250));
    const from = stream.events.length;
    await stream.until(from + 4, 20_000);
    stream.unsubscribe();

    const events = stream.events.slice(from, from + 4).map((e) => {
      assert.equal(e.errors, undefined, JSON.stringify(e.errors));
      return e.data!.resource!.metrics!;
    });
    const times = events.map((m) => Date.parse(m.timestamp) / 1000);
    for (const [i, t] of times.entries()) {
      assert.ok(Number.isInteger(t), `${t} is a scrape boundary`);
      if (i > 0) assert.ok(t > times[i - 1]!, `time passes between events: ${times.join(", ")}`);
    }
    for (const [i, m] of events.entries()) {
      const expected = expectedInbound(model, web, times[i]! - 10, times[i]!).total;
      // Scrapes land anywhere inside each second, and increase() extrapolates from them: a request or two either way.
      assert.ok(
        expected > 0 && Math.abs(m.requestCount - expected) <= Math.max(3, expected * 0.25),
        `at ${times[i]}: ${m.requestCount} vs model ${expected}`,
      );
      assert.equal(m.window, "10s");
    }
  });
});
