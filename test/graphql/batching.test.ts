// One GraphQL document costs a number of backend queries that does not grow
// with the number of resources it touches. Counted in the real Prometheus'
// query log, for the same document over 3 and over 300 deployments.

import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import type { Gateway } from "../../src/server/gateway.ts";
import { expectedInbound } from "../fixtures/expected.ts";
import { linkerd } from "../../src/traffic/linkerd.ts";
import { buildModel } from "../../src/traffic/model.ts";
import { SCALE_HISTORY, SCALE_NAMESPACE, scaleTopology, T0 } from "../fixtures/topology.ts";
import { NamespaceOverviewDocument } from "../generated/graphql.ts";
import { startPrometheus, type PrometheusInstance } from "../harness/prometheus.ts";
import { data, testGateway } from "../support/gateway.ts";

interface Setup {
  readonly n: number;
  readonly prometheus: PrometheusInstance;
  readonly gateway: Gateway;
}

const sizes = [3, 300] as const;
const setups = new Map<number, Setup>();

before(async () => {
  for (const n of sizes) {
    const model = buildModel(scaleTopology(n));
    const prometheus = await startPrometheus({ model, formats: [linkerd], ...SCALE_HISTORY });
    setups.set(n, { n, prometheus, gateway: await testGateway(prometheus.url, "linkerd") });
  }
});

after(async () => {
  for (const s of setups.values()) {
    await s.gateway.close();
    await s.prometheus.stop();
  }
});

async function overview(s: Setup) {
  s.prometheus.resetQueries();
  const result = await data(s.gateway, NamespaceOverviewDocument, { namespace: SCALE_NAMESPACE, window: "1m" });
  return { result, queries: s.prometheus.queries() };
}

describe("batching", () => {
  it("costs the same number of backend queries for 3 and 300 deployments, metrics and edges included", async (t) => {
    const counts: number[] = [];
    for (const n of sizes) {
      const s = setups.get(n)!;
      const { result, queries } = await overview(s);
      const model = buildModel(scaleTopology(n));
      // The answer is complete: every deployment, each with its two ring neighbours as edges.
      assert.equal(result.resources.length, n);
      for (const r of result.resources) {
        const want = expectedInbound(model, { kind: "DEPLOYMENT", namespace: SCALE_NAMESPACE, name: r.name }, T0 - 60, T0);
        assert.equal(r.metrics?.requestCount, want.total, `${r.name} at n=${n}`);
        assert.deepEqual(r.edges?.map((e) => e.direction).sort(), ["FROM", "TO"], `${r.name} has one caller and one callee`);
        for (const e of r.edges ?? []) assert.ok((e.peer.metrics?.requestCount ?? 0) > 0, "peer metrics resolved");
      }
      t.diagnostic(`n=${n}: ${queries.length} backend queries`);
      counts.push(queries.length);
    }
    assert.equal(counts[0], counts[1], `query count must not depend on the number of deployments: ${counts.join(" vs ")}`);
    assert.ok(counts[0]! <= 6, `a bounded, small number of queries (got ${counts[0]})`);
  });
});
