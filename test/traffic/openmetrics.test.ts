// OpenMetrics history: the shape promtool requires, accepted by promtool, and
// readable by Prometheus through the harness' raw-file path.

import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { promisify } from "node:util";
import { execFile } from "node:child_process";
import { PrometheusClient } from "../../src/prometheus/client.ts";
import { emojivoto } from "../../src/demo/traffic/emojivoto.ts";
import { expectedEdgeCounts } from "../fixtures/expected.ts";
import { linkerd } from "../../src/demo/traffic/linkerd.ts";
import { buildModel } from "../../src/demo/traffic/model.ts";
import { timestamps, writeOpenMetrics, type WriteStats } from "../../src/demo/traffic/openmetrics.ts";
import { findBinary } from "../../src/demo/prometheus.ts";
import { startPrometheus } from "../harness/prometheus.ts";
import { T0 } from "../fixtures/topology.ts";

const run = promisify(execFile);
const model = buildModel(emojivoto);
const range = { start: T0 - 300, end: T0, step: 10 };
let dir: string;
let file: string;
let stats: WriteStats;

before(async () => {
  dir = await mkdtemp(join(tmpdir(), "meshql-om-test-"));
  file = join(dir, "emojivoto.om");
  stats = await writeOpenMetrics(file, model, [linkerd], range);
});
after(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe("OpenMetrics history", () => {
  it("groups samples by family, orders each series by time and ends with # EOF", () => {
    const lines = readFileSync(file, "utf8").split("\n");
    assert.equal(lines.pop(), "");
    assert.equal(lines.pop(), "# EOF");
    const families = new Set<string>();
    let current = "";
    const lastTs = new Map<string, number>();
    let samples = 0;
    for (const line of lines) {
      const type = /^# TYPE (\S+) (\S+)$/.exec(line);
      if (type) {
        assert.ok(!families.has(type[1]!), `family ${type[1]} declared twice`);
        families.add((current = type[1]!));
        if (type[2] === "counter") assert.ok(!current.endsWith("_total"), "OpenMetrics counter families drop _total");
        continue;
      }
      if (line.startsWith("#")) continue;
      const m = /^(\S+?)(\{.*\})? (\S+) (\d+)$/.exec(line);
      assert.ok(m, `malformed: ${line.slice(0, 200)}`);
      assert.ok(m[1]!.startsWith(current), `${m[1]} outside its family ${current}`);
      const key = `${m[1]}${m[2] ?? ""}`;
      const ts = Number(m[4]);
      assert.ok(ts > (lastTs.get(key) ?? -1), `${key} goes back in time`);
      assert.ok(ts >= range.start && ts <= range.end && (ts - range.start) % range.step === 0);
      lastTs.set(key, ts);
      samples++;
    }
    assert.equal(samples, stats.samples);
    assert.equal(lastTs.size, stats.series);
    assert.equal(samples, stats.series * timestamps(range).length);
    assert.ok(families.has("response") && families.has("request") && families.has("response_latency_ms"));
  });

  it("is accepted by promtool, every sample of it", async () => {
    const out = join(dir, "tsdb");
    const { stdout } = await run(findBinary("promtool"), ["tsdb", "create-blocks-from", "openmetrics", file, out]);
    // The block table's NUM SAMPLES column, summed over the blocks promtool wrote.
    const rows = stdout.split("\n").filter((l) => /^[0-9A-Z]{26}\s/.test(l));
    assert.ok(rows.length >= 1, stdout);
    const written = rows.reduce((a, l) => a + Number(l.trim().split(/\s+/)[4]), 0);
    assert.equal(written, stats.samples);
  });

  it("rejects a range whose end is not on the step", () => {
    assert.throws(() => timestamps({ start: 0, end: 25, step: 10 }), /multiple of step/);
    assert.deepEqual(timestamps({ start: 10, end: 30, step: 10 }), [10, 20, 30]);
  });

  it("backfills from a raw file through the harness, with exact counts", async () => {
    const prom = await startPrometheus({ openMetricsFiles: [file] });
    try {
      const client = new PrometheusClient({ baseUrl: prom.url });
      const rows = await client.query(
        `sum(increase(response_total{direction="outbound",deployment="web",dst_deployment="voting",classification="failure"}[2m]))`,
        new Date(T0 * 1000),
      );
      const from = { kind: "DEPLOYMENT", namespace: "emojivoto", name: "web" } as const;
      const to = { kind: "DEPLOYMENT", namespace: "emojivoto", name: "voting" } as const;
      assert.equal(rows[0]?.value, expectedEdgeCounts(model, from, to, T0 - 120, T0).failure);
    } finally {
      await prom.stop();
    }
  });
});
