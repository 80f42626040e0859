// One GraphQL document costs a number of backend queries that does not grow
// with the number of resources it touches. Counted in the real Prometheus'
// query log, for the same document over 3 and over 300 deployments.

import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import type { Gateway } from "../../src/server/gateway.ts";
import { type ExpectedTcp, expectedInbound, expectedTcp, expectedTcpEdges, inboundConnectionsOf } from "../fixtures/expected.ts";
import { linkerd } from "../../src/demo/traffic/linkerd.ts";
import { buildModel, resourcesOf } from "../../src/demo/traffic/model.ts";
import { SCALE_HISTORY, SCALE_NAMESPACE, scaleTopology, T0 } from "../fixtures/topology.ts";
import {
  NamespaceOverviewDocument,
  ResourceTcpDocument,
  WorkloadGraphDocument,
  WorkloadGraphSeriesDocument,
} from "../generated/graphql.ts";
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

  it("reads TCP only for a document that selects it, one query per batch, equal to the model's", async () => {
    const s = setups.get(3)!;
    const model = buildModel(scaleTopology(3));
    const ref = resourcesOf(model, "DEPLOYMENT", SCALE_NAMESPACE)[0]!;
    const perSecond = (e: ExpectedTcp) => ({
      openConnections: e.open,
      readBytesPerSecond: e.readBytes / 60,
      writeBytesPerSecond: e.writeBytes / 60,
      connectionsOpened: e.opened,
      connectionsClosed: e.closed,
    });
    const { queries: golden } = await overview(s);
    assert.ok(!golden.some((q) => q.includes("tcp_")), "a document without tcp sends no TCP query");

    s.prometheus.resetQueries();
    const got = await data(s.gateway, ResourceTcpDocument, {
      kind: "DEPLOYMENT",
      namespace: SCALE_NAMESPACE,
      name: ref.name,
      window: "1m",
    });
    const tcp = s.prometheus.queries().filter((q) => q.includes("tcp_"));
    assert.equal(tcp.length, 2, `one TCP query for the resource, one for all its edges:\n${tcp.join("\n")}`);
    assert.deepEqual(got.resource!.metrics!.tcp, perSecond(expectedTcp(model, inboundConnectionsOf(ref), T0 - 60, T0)!));
    const want = expectedTcpEdges(model, ref, "DEPLOYMENT", T0 - 60, T0);
    assert.equal(got.resource!.edges!.length, want.length);
    for (const e of want) {
      const g = got.resource!.edges!.find((x) => x.direction === e.direction && x.peer.name === e.peer.name);
      assert.deepEqual(g?.metrics?.tcp, perSecond(e.tcp), `${e.direction} ${e.peer.name}`);
    }
  });

  it("costs the same number of backend queries for a graph, and for its series, at 3 and 300 deployments", async (t) => {
    const at = new Date(T0 * 1000).toISOString();
    const counts: Record<"graph" | "series", number[]> = { graph: [], series: [] };
    for (const n of sizes) {
      const s = setups.get(n)!;
      s.prometheus.resetQueries();
      const graph = (await data(s.gateway, WorkloadGraphDocument, { namespaces: [SCALE_NAMESPACE], window: "1m", at })).graph;
      counts.graph.push(s.prometheus.queries().length);
      // A ring: every deployment is a node with one caller and one callee.
      assert.equal(graph.nodes.length, n);
      assert.equal(graph.edges.length, n);
      assert.ok(graph.nodes.every((node) => node.metrics!.requestCount > 0));

      s.prometheus.resetQueries();
      const series = (
        await data(s.gateway, WorkloadGraphSeriesDocument, { namespaces: [SCALE_NAMESPACE], window: "1m", range: "5m", step: "1m", at })
      ).graph;
      counts.series.push(s.prometheus.queries().length);
      assert.ok(series.nodes.every((node) => node.series!.length === 5) && series.edges.every((e) => e.series!.length === 5));
      t.diagnostic(
        `n=${n}: graph ${counts.graph.at(-1)} backend queries, graph with every node's and edge's series ${counts.series.at(-1)}`,
      );
    }
    assert.equal(counts.graph[0], counts.graph[1], `graph: ${counts.graph.join(" vs ")}`);
    assert.equal(counts.series[0], counts.series[1], `series: ${counts.series.join(" vs ")}`);
  });
});
