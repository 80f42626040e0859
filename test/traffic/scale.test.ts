// The generator's data at scale: the Linkerd history of scaleTopology(300),
// backfilled into a real Prometheus, reads back exactly as the model says for
// every one of its 300 Deployments and 300 ring edges. Hand-written PromQL only:
// meshql's own query count at scale is test/mesh/batching.test.ts's concern.

import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { PrometheusClient } from "../../src/prometheus/client.ts";
import { expectedEdgeCounts, expectedInbound } from "../fixtures/expected.ts";
import { linkerd } from "../../src/demo/traffic/linkerd.ts";
import { buildModel, resourcesOf } from "../../src/demo/traffic/model.ts";
import { startPrometheus, type PrometheusInstance } from "../harness/prometheus.ts";
import { SCALE_HISTORY, SCALE_NAMESPACE, T0, scaleTopology } from "../fixtures/topology.ts";

const model = buildModel(scaleTopology(300));
let prom: PrometheusInstance;
let client: PrometheusClient;

before(async () => {
  const started = performance.now();
  prom = await startPrometheus({ model, formats: [linkerd], ...SCALE_HISTORY });
  const b = prom.backfill!;
  console.log(
    `# scale(300) prometheus ready in ${((performance.now() - started) / 1000).toFixed(1)}s (${b.cached ? "cached" : "fresh"}: ` +
      `${(b.stats.openMetricsBytes / 1e6).toFixed(0)} MB, ${b.stats.samples} samples, write ${b.stats.writeSeconds}s, promtool ` +
      `${b.stats.promtoolSeconds}s)`,
  );
  client = new PrometheusClient({ baseUrl: prom.url });
});
after(async () => {
  await prom?.stop();
});

describe("generator at scale: scaleTopology(300), Linkerd format", () => {
  it("inbound responses of all 300 Deployments equal the model's", async () => {
    const rows = await client.query(
      `sum by (namespace, deployment, classification) (increase(response_total{direction="inbound",namespace="${SCALE_NAMESPACE}"}[1m]))`,
      new Date(T0 * 1000),
    );
    const refs = resourcesOf(model, "DEPLOYMENT", SCALE_NAMESPACE);
    assert.equal(refs.length, 300);
    const got = new Map(rows.map((s) => [`${s.labels.deployment}/${s.labels.classification}`, s.value]));
    for (const r of refs) {
      const want = expectedInbound(model, r, T0 - 60, T0);
      assert.equal(got.get(`${r.name}/success`) ?? 0, want.success, `${r.name} success`);
      assert.equal(got.get(`${r.name}/failure`) ?? 0, want.failure, `${r.name} failure`);
    }
  });

  it("all 300 ring edges are written, both ends labelled, each equal to the model's", async () => {
    const rows = await client.query(
      `sum by (deployment, dst_deployment) (increase(response_total{direction="outbound",namespace="${SCALE_NAMESPACE}"}[5m]))`,
      new Date(T0 * 1000),
    );
    const r = (name: string) => ({ kind: "DEPLOYMENT", namespace: SCALE_NAMESPACE, name }) as const;
    const want = model.edges.map(
      (e) => `${e.from.name} -> ${e.to.name}: ${expectedEdgeCounts(model, r(e.from.name), r(e.to.name), T0 - 300, T0).total}`,
    );
    const got = rows.map((s) => `${s.labels.deployment} -> ${s.labels.dst_deployment}: ${s.value}`);
    assert.equal(want.length, 300);
    assert.deepEqual(got.sort(), want.sort());
  });
});
