// The traffic model on its own: names, membership, counters, expectations.

import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { bucketAt, countAt, flowBucketsAt } from "../../src/demo/traffic/counters.ts";
import { emojivoto } from "../../src/demo/traffic/emojivoto.ts";
import { expectedEdgeCounts, expectedEdges, expectedInbound, expectedInboundBuckets, expectedOutbound } from "../fixtures/expected.ts";
import { histogramQuantile } from "../../src/domain/histogram.ts";
import { latencyDistribution, latencyOf } from "../../src/demo/traffic/latency.ts";
import { LINKERD_LATENCY_BOUNDS_MS } from "../../src/demo/traffic/linkerd.ts";
import { buildModel, isSuccess, podsOf, resourcesOf, workloadOf } from "../../src/demo/traffic/model.ts";
import { KUBE_ALPHABET } from "../../src/demo/traffic/names.ts";
import { DATA, REFS, SHOP, T0, TOPOLOGY, ref, scaleTopology, topologyModel } from "../fixtures/topology.ts";

const C = `[${KUBE_ALPHABET}]`;
const model = topologyModel();

describe("pod names", () => {
  it("follow the Kubernetes patterns of each kind", () => {
    const names = (ns: string, name: string) => workloadOf(model, { namespace: ns, name }).pods.map((p) => p.name);
    const catalog = workloadOf(model, { namespace: SHOP, name: "catalog" });
    assert.match(catalog.podTemplateHash!, new RegExp(`^${C}{10}$`));
    assert.equal(catalog.replicaSet, `catalog-${catalog.podTemplateHash}`);
    for (const pod of names(SHOP, "catalog")) assert.match(pod, new RegExp(`^catalog-${catalog.podTemplateHash}-${C}{5}$`));
    assert.deepEqual(names(DATA, "db"), ["db-0", "db-1"]);
    for (const pod of names(SHOP, "node-agent")) assert.match(pod, new RegExp(`^node-agent-${C}{5}$`));
    for (const pod of names(DATA, "nightly-export")) assert.match(pod, new RegExp(`^nightly-export-${C}{5}$`));
    for (const pod of names(SHOP, "canary")) assert.match(pod, new RegExp(`^canary-${C}{5}$`));
    assert.equal(new Set(model.pods.map((p) => `${p.namespace}/${p.name}`)).size, model.pods.length);
  });

  it("are the same in every build", () => {
    assert.deepEqual(
      buildModel(TOPOLOGY).pods.map((p) => p.name),
      model.pods.map((p) => p.name),
    );
  });
});

describe("membership", () => {
  it("counts a Deployment's pods for its ReplicaSet too", () => {
    const frontend = workloadOf(model, { namespace: SHOP, name: "frontend" });
    const rs = ref("REPLICASET", SHOP, frontend.replicaSet!);
    assert.deepEqual(podsOf(model, rs), podsOf(model, REFS.frontend));
    assert.equal(podsOf(model, REFS.frontend).length, 2);
    const replicaSets = resourcesOf(model, "REPLICASET", SHOP).map((r) => r.name);
    assert.ok(replicaSets.includes("canary") && replicaSets.includes(frontend.replicaSet!));
  });

  it("lists idle resources and namespaces", () => {
    assert.ok(resourcesOf(model, "DEPLOYMENT", SHOP).some((r) => r.name === "legacy-admin"));
    assert.deepEqual(
      resourcesOf(model, "NAMESPACE").map((r) => r.name),
      [DATA, SHOP],
    );
    assert.equal(resourcesOf(model, "POD").length, model.pods.length);
  });
});

describe("counters", () => {
  const flow = model.flows.find((f) => f.edge.from.name === "frontend" && f.edge.to.name === "catalog" && f.status === 200)!;

  it("are monotone in time and bucket bound, with +Inf equal to the count", () => {
    let previous = flowBucketsAt(flow, LINKERD_LATENCY_BOUNDS_MS, T0 - 100);
    for (let t = T0 - 99; t <= T0; t++) {
      const now = flowBucketsAt(flow, LINKERD_LATENCY_BOUNDS_MS, t);
      for (let i = 0; i < now.length; i++) {
        assert.ok(now[i]! >= previous[i]!, `bucket ${i} decreased at ${t}`);
        if (i > 0) assert.ok(now[i]! >= now[i - 1]!, `le not monotone at ${t}`);
      }
      assert.equal(now[now.length - 1], countAt(flow.rate, t));
      previous = now;
    }
  });

  it("split an edge's rate evenly over pod pairs and statuses", () => {
    // frontend (2 pods) -> catalog (3 pods) at 6 rps, 90% 200s.
    assert.equal(flow.rate, (6 * 0.9) / 6);
    const latency = latencyDistribution(latencyOf(0.5, 2, 6, 18, 60));
    assert.equal(bucketAt(100, latency, 2), 50);
    assert.equal(bucketAt(100, latency, 60), 100);
    assert.equal(bucketAt(100, latency, 0.4), 0);
  });
});

describe("expectations", () => {
  const start = T0 - 3600;

  it("count 4xx as success and 5xx as failure", () => {
    assert.ok(isSuccess(404) && isSuccess(201) && !isSuccess(500) && !isSuccess(503));
    const e = expectedEdgeCounts(model, REFS.frontend, REFS.catalog, start, T0);
    // 6 rps for an hour: 3% 500s; 404s are successes.
    assert.equal(e.total, 6 * 3600);
    assert.ok(Math.abs(e.failure - 0.03 * 6 * 3600) <= 6, `failure ${e.failure}`);
    assert.equal(e.byStatus[404]! + e.byStatus[200]!, e.success);
  });

  it("see nothing for an idle Deployment", () => {
    assert.deepEqual(expectedInbound(model, REFS.legacyAdmin, start, T0), { success: 0, failure: 0, total: 0, byStatus: {} });
    assert.equal(expectedOutbound(model, REFS.legacyAdmin, start, T0).total, 0);
    assert.deepEqual(expectedEdges(model, REFS.legacyAdmin, "DEPLOYMENT", start, T0), []);
  });

  it("leave an unmeshed client out of edges but not out of the server's inbound", () => {
    const loadgen = ref("DEPLOYMENT", SHOP, "loadgen");
    assert.equal(expectedEdgeCounts(model, loadgen, REFS.frontend, start, T0).total, 0);
    assert.equal(expectedInbound(model, REFS.frontend, start, T0).total, 4 * 3600);
    const from = expectedEdges(model, REFS.frontend, "DEPLOYMENT", start, T0).filter((e) => e.direction === "FROM");
    assert.deepEqual(from, []);
  });

  it("give both directions of cross-namespace edges", () => {
    const shopEdges = expectedEdges(model, REFS.shop, "NAMESPACE", start, T0);
    const peers = shopEdges.map((e) => `${e.direction}:${e.peer.name}`);
    assert.deepEqual(peers, ["FROM:data", "FROM:shop", "TO:data", "TO:shop"]);
    const toData = shopEdges.find((e) => e.direction === "TO" && e.peer.name === DATA)!;
    assert.equal(toData.counts.total, (3 + 4) * 3600);
    assert.equal(toData.mtls, true);
    const catalogFrom = expectedEdges(model, REFS.catalog, "DAEMONSET", start, T0);
    assert.equal(catalogFrom.length, 1);
    assert.equal(catalogFrom[0]!.mtls, false);
  });

  it("give bucket increases whose quantiles match the latency points", () => {
    const buckets = expectedInboundBuckets(model, REFS.db, T0 - 300, T0, LINKERD_LATENCY_BOUNDS_MS);
    assert.equal(buckets.length, LINKERD_LATENCY_BOUNDS_MS.length + 1);
    assert.equal(buckets[buckets.length - 1]!.count, expectedInbound(model, REFS.db, T0 - 300, T0).total);
    const p50 = histogramQuantile(0.5, buckets);
    assert.ok(p50 > 0.5 && p50 < 3, `p50 ${p50}`);
    assert.ok(
      Number.isNaN(
        histogramQuantile(
          0.5,
          buckets.map((b) => ({ ...b, count: 0 })),
        ),
      ),
    );
  });
});

describe("histogramQuantile", () => {
  it("interpolates like Prometheus", () => {
    const b = [
      { le: 1, count: 10 },
      { le: 2, count: 30 },
      { le: 4, count: 40 },
      { le: Infinity, count: 40 },
    ];
    assert.equal(histogramQuantile(0.5, b), 1.5);
    assert.equal(histogramQuantile(0.25, b), 1);
    assert.equal(histogramQuantile(0.375, b), 1.25);
    assert.equal(histogramQuantile(1, b), 4);
    // A rank in the +Inf bucket answers the highest finite bound.
    assert.equal(
      histogramQuantile(0.99, [
        { le: 1, count: 1 },
        { le: Infinity, count: 10 },
      ]),
      1,
    );
  });
});

describe("topologies", () => {
  it("scaleTopology(n) is a ring of n Deployments", () => {
    const m = buildModel(scaleTopology(300));
    assert.equal(m.workloads.length, 300);
    assert.equal(m.edges.length, 300);
    assert.equal(m.edges[299]!.to.name, "svc-000");
  });

  it("emojivoto builds", () => {
    const m = buildModel(emojivoto);
    assert.deepEqual(
      m.edges.map((e) => `${e.from.name}->${e.to.name}`),
      ["vote-bot->web", "web->emoji", "web->voting"],
    );
  });
});
