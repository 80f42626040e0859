// The backend answer cache, in front of a real Prometheus: identical concurrent
// queries are sent once, answers are reused for the TTL, failures never are.

import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { PrometheusClient } from "../../src/prometheus/client.ts";
import { CoalescingQuerier } from "../../src/prometheus/coalesce.ts";
import { BackendError } from "../../src/prometheus/errors.ts";
import { freePort, startPrometheus, type PrometheusInstance } from "../harness/prometheus.ts";

let prometheus: PrometheusInstance;
before(async () => {
  prometheus = await startPrometheus({});
});
after(async () => {
  await prometheus?.stop();
});

const at = new Date("2026-11-01T12:00:00Z");

describe("CoalescingQuerier", () => {
  it("sends identical concurrent queries once, and reuses the answer until the TTL ends", async () => {
    let clock = 0;
    const cache = new CoalescingQuerier(new PrometheusClient({ baseUrl: prometheus.url }), {
      ttlMs: 1000,
      maxEntries: 10,
      now: () => clock,
    });
    prometheus.resetQueries();
    const answers = await Promise.all([cache.query("vector(7)", at), cache.query("vector(7)", at), cache.query("vector(7)", at)]);
    assert.deepEqual(
      answers.map((a) => a[0]?.value),
      [7, 7, 7],
    );
    assert.equal(prometheus.queries().length, 1);
    clock = 500;
    await cache.query("vector(7)", at);
    assert.equal(prometheus.queries().length, 1, "within the TTL: from the cache");
    await cache.query("vector(7)", new Date(at.getTime() + 1000));
    assert.equal(prometheus.queries().length, 2, "another moment is another question");
    clock = 1501;
    await cache.query("vector(7)", at);
    assert.equal(prometheus.queries().length, 3, "after the TTL: asked again");
  });

  it("keeps at most maxEntries answers", async () => {
    const cache = new CoalescingQuerier(new PrometheusClient({ baseUrl: prometheus.url }), { ttlMs: 60_000, maxEntries: 2 });
    prometheus.resetQueries();
    for (const q of ["vector(1)", "vector(2)", "vector(3)", "vector(1)"]) await cache.query(q, at);
    assert.equal(prometheus.queries().length, 4, "vector(1) was evicted by the third entry");
  });

  it("never keeps a failure", async () => {
    let calls = 0;
    const dead = new PrometheusClient({ baseUrl: `http://127.0.0.1:${await freePort()}`, observer: () => void calls++ });
    const cache = new CoalescingQuerier(dead, { ttlMs: 60_000, maxEntries: 10 });
    await assert.rejects(cache.query("vector(1)", at), (e: unknown) => e instanceof BackendError && e.kind === "unreachable");
    await assert.rejects(cache.query("vector(1)", at), BackendError);
    assert.equal(calls, 2, "the second call tried again");
  });
});
