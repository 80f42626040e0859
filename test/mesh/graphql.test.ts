// The equivalence through the GraphQL gateway: createGateway({mesh}) over
// each mesh's backfilled Prometheus answers the same document with the same
// counts, equal to the model's (no cluster: Istio and Consul infer kinds).

import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import type { MeshName } from "../../src/mesh/adapter.ts";
import type { Gateway } from "../../src/server/gateway.ts";
import { consul } from "../../src/demo/traffic/consul.ts";
import { expectedEdges, expectedInbound } from "../fixtures/expected.ts";
import type { MeshFormat } from "../../src/demo/traffic/format.ts";
import { istio } from "../../src/demo/traffic/istio.ts";
import { linkerd } from "../../src/demo/traffic/linkerd.ts";
import { ResourceEdgesDocument, ResourceListDocument } from "../generated/graphql.ts";
import { startPrometheus, type PrometheusInstance } from "../harness/prometheus.ts";
import { data, testGateway } from "../support/gateway.ts";
import { HISTORY, REFS, SHOP, T0, T0_DATE, topologyModel } from "../fixtures/topology.ts";

const model = topologyModel();
const FORMATS: Array<[MeshName, MeshFormat]> = [
  ["linkerd", linkerd],
  ["istio", istio],
  ["consul", consul],
];
const proms: PrometheusInstance[] = [];
const gateways = new Map<MeshName, Gateway>();

before(async () => {
  for (const [mesh, format] of FORMATS) {
    const prom = await startPrometheus({ model, formats: [format], ...HISTORY });
    proms.push(prom);
    gateways.set(mesh, await testGateway(prom.url, mesh));
  }
});
after(async () => {
  await Promise.all([...gateways.values()].map((g) => g.close()));
  await Promise.all(proms.map((p) => p.stop()));
});

const at = T0_DATE.toISOString();

describe("GraphQL answers agree across meshes", () => {
  for (const [mesh] of FORMATS) {
    it(`${mesh}: Deployments of shop, counts as the model's`, async () => {
      const got = await data(gateways.get(mesh)!, ResourceListDocument, { kind: "DEPLOYMENT", namespace: SHOP, window: "1h", at });
      const byName = new Map(got.resources.map((r) => [r.name, r.metrics]));
      for (const ref of [REFS.frontend, REFS.catalog, REFS.cart]) {
        const e = expectedInbound(model, ref, T0 - 3600, T0);
        const m = byName.get(ref.name);
        assert.ok(m, `${mesh} lists ${ref.name}`);
        assert.equal(m.successCount, e.success, `${mesh} ${ref.name} success`);
        assert.equal(m.failureCount, e.failure, `${mesh} ${ref.name} failure`);
        assert.ok(m.latency.p99 !== null);
      }
    });

    it(`${mesh}: catalog's edges, both directions, across namespaces`, async () => {
      const got = await data(gateways.get(mesh)!, ResourceEdgesDocument, {
        kind: "DEPLOYMENT",
        namespace: SHOP,
        name: "catalog",
        window: "1h",
        at,
      });
      const want = expectedEdges(model, REFS.catalog, "DEPLOYMENT", T0 - 3600, T0);
      const edges = got.resource!.edges!;
      assert.deepEqual(
        edges.map((e) => `${e.direction} ${e.peer.namespace}/${e.peer.name}`).sort(),
        want.map((e) => `${e.direction} ${e.peer.namespace}/${e.peer.name}`).sort(),
      );
      for (const w of want) {
        const g = edges.find((e) => e.direction === w.direction && e.peer.name === w.peer.name)!;
        assert.equal(g.metrics?.successCount, w.counts.success);
        assert.equal(g.metrics?.failureCount, w.counts.failure);
      }
    });
  }
});
