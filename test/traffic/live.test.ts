// The live /metrics endpoint: parseable text whose counters follow the clock,
// accepted by promtool and scraped by a real Prometheus.

import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { after, describe, it } from "node:test";
import { PrometheusClient } from "../../src/prometheus/client.ts";
import { emojivoto } from "../../src/demo/traffic/emojivoto.ts";
import { expectedInbound } from "../fixtures/expected.ts";
import { linkerd } from "../../src/demo/traffic/linkerd.ts";
import { startLive, type LiveEndpoint } from "../../src/demo/traffic/live.ts";
import { buildModel } from "../../src/demo/traffic/model.ts";
import { findBinary } from "../../src/demo/prometheus.ts";
import { startPrometheus, type PrometheusInstance } from "../harness/prometheus.ts";

const model = buildModel(emojivoto);
const web = { kind: "DEPLOYMENT", namespace: "emojivoto", name: "web" } as const;

interface Sample {
  name: string;
  labels: Record<string, string>;
  value: number;
}

/** A strict reader of text format 0.0.4 sample lines; throws on anything malformed. */
function parseExposition(text: string): { samples: Sample[]; types: Map<string, string> } {
  const samples: Sample[] = [];
  const types = new Map<string, string>();
  for (const line of text.split("\n")) {
    if (line === "" || line.startsWith("# HELP ")) continue;
    const type = /^# TYPE ([a-zA-Z_:][a-zA-Z0-9_:]*) (counter|gauge|histogram|summary|untyped)$/.exec(line);
    if (type) {
      types.set(type[1]!, type[2]!);
      continue;
    }
    const m = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})? (\S+)$/.exec(line);
    assert.ok(m, `malformed line: ${line}`);
    const labels: Record<string, string> = {};
    const body = m[2] ?? "";
    const pair = /([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"(,|$)/y;
    while (pair.lastIndex < body.length) {
      const p = pair.exec(body);
      assert.ok(p, `malformed labels: ${body}`);
      labels[p[1]!] = p[2]!.replace(/\\(.)/g, (_, c: string) => (c === "n" ? "\n" : c));
    }
    const value = Number(m[3] === "+Inf" ? Infinity : m[3]);
    assert.ok(!Number.isNaN(value), `bad value in ${line}`);
    samples.push({ name: m[1]!, labels, value });
  }
  return { samples, types };
}

const sumOf = (samples: Sample[], name: string, match: Record<string, string>) =>
  samples.filter((s) => s.name === name && Object.entries(match).every(([k, v]) => s.labels[k] === v)).reduce((a, s) => a + s.value, 0);

describe("live endpoint", () => {
  let live: LiveEndpoint | undefined;
  let prom: PrometheusInstance | undefined;
  after(async () => {
    await prom?.stop();
    await live?.close();
  });

  it("serves the model's counters at the clock's time, on port 0", async () => {
    let now = 1_793_534_400;
    const ep = await startLive({ model, formats: [linkerd], clock: () => now });
    try {
      assert.match(ep.url, /^http:\/\/127\.0\.0\.1:\d+\/metrics$/);
      assert.notEqual(ep.port, 0);
      const res = await fetch(ep.url);
      assert.equal(res.status, 200);
      assert.match(res.headers.get("content-type")!, /^text\/plain; version=0\.0\.4/);
      const first = parseExposition(await res.text());
      assert.equal(first.types.get("response_total"), "counter");
      assert.equal(first.types.get("response_latency_ms"), "histogram");
      const inbound = { name: "response_total", match: { direction: "inbound", deployment: "web" } };
      const a = sumOf(first.samples, inbound.name, inbound.match);
      now += 60;
      const b = sumOf(parseExposition(await (await fetch(ep.url)).text()).samples, inbound.name, inbound.match);
      assert.equal(b - a, expectedInbound(model, web, now - 60, now).total);
      assert.ok(b - a >= 119 && b - a <= 121, `vote-bot sends ~2 rps, got ${b - a} in 60s`);
      assert.equal((await fetch(ep.url.replace("/metrics", "/other"))).status, 404);
    } finally {
      await ep.close();
    }
  });

  it("is text format promtool can read (Linkerd's own names fail only its naming lint)", async () => {
    const ep = await startLive({ model, formats: [linkerd] });
    try {
      const text = await (await fetch(ep.url)).text();
      const check = spawnSync(findBinary("promtool"), ["check", "metrics"], { input: text, encoding: "utf8" });
      // Exit 3 is "lint problems"; 1 would be a parse error.
      assert.ok(check.status === 0 || check.status === 3, `promtool: ${check.status} ${check.stderr}`);
      const problems = `${check.stdout}${check.stderr}`.trim().split("\n").filter(Boolean);
      for (const p of problems) assert.match(p, /abbreviated units/);
    } finally {
      await ep.close();
    }
  });

  it("is scraped by a real Prometheus, and its counters increase over wall-clock time", async () => {
    live = await startLive({ model, formats: [linkerd] });
    prom = await startPrometheus({ scrapeTargets: [new URL(live.url).host], scrapeInterval: "1s" });
    const client = new PrometheusClient({ baseUrl: prom.url });
    const query = `sum(response_total{direction="inbound",namespace="emojivoto",deployment="web"})`;
    const deadline = Date.now() + 15_000;
    let values: number[] = [];
    while (Date.now() < deadline) {
      const [row] = await client.query(query, new Date());
      if (row) values.push(row.value);
      values = [...new Set(values)];
      if (values.length >= 2) break;
      await new Promise((r) => setTimeout(r, 500));
    }
    assert.ok(values.length >= 2, `expected the scraped counter to move, saw ${JSON.stringify(values)}`);
    assert.ok(values[1]! > values[0]!, `counter went ${values[0]} -> ${values[1]}`);
  });
});
