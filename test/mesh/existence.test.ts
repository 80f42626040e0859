// A single resource's existence check over Istio and Consul reads that
// resource's series, not its namespace's, and answers as the namespace listing
// does: counted and spelled out in the real Prometheus' query log, through the
// SMI shim (404 NotFound for an unknown resource) and GraphQL (null).
// The topology has a Consul service whose name no workload has ("web"), served
// by a stable Deployment (3 pods) whose canary's one pod calls out under the
// same service: the listing maps the service to the stable Deployment alone,
// so the canary is not seen by Consul, and its existence check must agree.

import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { consul } from "../../src/demo/traffic/consul.ts";
import type { MeshFormat } from "../../src/demo/traffic/format.ts";
import { istio } from "../../src/demo/traffic/istio.ts";
import { buildModel, type EdgeSpec, type TopologySpec } from "../../src/demo/traffic/model.ts";
import { latencyOf } from "../../src/demo/traffic/latency.ts";
import { refKey } from "../../src/domain/resource.ts";
import type { MeshName } from "../../src/mesh/adapter.ts";
import { createAdapter } from "../../src/mesh/registry.ts";
import { PrometheusClient } from "../../src/prometheus/client.ts";
import type { Gateway } from "../../src/server/gateway.ts";
import { SCALE_HISTORY, T0, T0_DATE } from "../fixtures/topology.ts";
import { ResourceMetricsDocument } from "../generated/graphql.ts";
import { type PrometheusInstance, startPrometheus } from "../harness/prometheus.ts";
import { data, testGateway } from "../support/gateway.ts";
import { checkExistence } from "./support.ts";

const NS = "exist";
const edge = (from: string, to: string): EdgeSpec => ({
  from: { namespace: NS, name: from },
  to: { namespace: NS, name: to },
  rps: 1,
  status: { 200: 1 },
  latency: latencyOf(1, 2, 4, 8, 16),
  tls: true,
});
const TOPOLOGY: TopologySpec = {
  workloads: [
    { namespace: NS, name: "client", kind: "DEPLOYMENT", replicas: 1 },
    { namespace: NS, name: "web-stable", kind: "DEPLOYMENT", replicas: 3, service: "web" },
    { namespace: NS, name: "web-canary", kind: "DEPLOYMENT", replicas: 1, service: "web" },
    { namespace: NS, name: "api", kind: "DEPLOYMENT", replicas: 1 },
    { namespace: NS, name: "store", kind: "STATEFULSET", replicas: 2 },
  ],
  edges: [edge("client", "web-stable"), edge("web-canary", "api"), edge("api", "store")],
};
const model = buildModel(TOPOLOGY);
const at = new Date(T0 * 1000).toISOString();
const MESHES: readonly (readonly [MeshName, MeshFormat])[] = [
  ["istio", istio],
  ["consul", consul],
];

/** The expected existence queries of DEPLOYMENT exist/api, as each mesh narrows them. */
const NARROWED: Readonly<Record<string, readonly string[]>> = {
  istio: [
    `group by (source_workload_namespace, source_workload, pod) (present_over_time(istio_requests_total{reporter="source",` +
      `source_workload_namespace="exist",source_workload="api"}[3600s])) or ` +
      "group by (destination_workload_namespace, destination_workload, pod) " +
      `(present_over_time(istio_requests_total{reporter="destination",` +
      `destination_workload_namespace="exist",destination_workload="api"}[3600s]))`,
  ],
  consul: [
    // First the pods named after the workload, then every row of the services they serve.
    `{envoy_http_conn_manager_prefix="public_listener",namespace="exist",pod=~"(api-).+"}`,
    `{envoy_http_conn_manager_prefix="public_listener",namespace="exist",consul_source_service="api"}`,
  ],
};

const proms = new Map<MeshName, PrometheusInstance>();
const gateways = new Map<MeshName, Gateway>();

before(async () => {
  for (const [mesh, format] of MESHES) {
    const prometheus = await startPrometheus({ model, formats: [format], ...SCALE_HISTORY });
    proms.set(mesh, prometheus);
    gateways.set(mesh, await testGateway(prometheus.url, mesh));
  }
});

after(async () => {
  for (const g of gateways.values()) await g.close();
  for (const p of proms.values()) await p.stop();
});

for (const [mesh] of MESHES) {
  describe(`${mesh}: one resource's existence check`, () => {
    const adapter = () => createAdapter(mesh, new PrometheusClient({ baseUrl: proms.get(mesh)!.url }), null);

    it("answers as the namespace listing, for every kind and name", async () => {
      for (const kind of ["NAMESPACE", "POD", "DEPLOYMENT", "STATEFULSET", "DAEMONSET", "REPLICASET"] as const) {
        await checkExistence(adapter(), model, kind, T0_DATE, { seconds: 3600 });
      }
      const deployments = (
        await adapter().seenResources({ kind: "DEPLOYMENT", namespace: NS, at: T0_DATE, lookback: { seconds: 3600 } })
      ).map(refKey);
      // Consul maps the service `web` to the Deployment with most of its pods; Istio names both workloads.
      const canary = `DEPLOYMENT/${NS}/web-canary`;
      assert.equal(deployments.includes(canary), mesh === "istio", deployments.join(", "));
      assert.ok(deployments.includes(`DEPLOYMENT/${NS}/web-stable`));
      // Several resources asked at once (one tick's existence checks) get the listing's answer for each.
      const asked = ["api", "web-stable", "web-canary", "store", "nobody-here"].map((name) => ({
        kind: "DEPLOYMENT" as const,
        namespace: NS,
        name,
      }));
      const answer = await adapter().seenResources({
        kind: "DEPLOYMENT",
        namespace: NS,
        at: T0_DATE,
        lookback: { seconds: 3600 },
        only: asked,
      });
      const found = new Set(answer.map(refKey));
      assert.deepEqual(
        asked.map((r) => found.has(refKey(r))),
        asked.map((r) => deployments.includes(refKey(r))),
      );
    });

    it("reads the resource's series only; unknown resources stay NotFound over SMI and null in GraphQL", async () => {
      const gateway = gateways.get(mesh)!;
      const prometheus = proms.get(mesh)!;
      const smi = async (path: string) => {
        prometheus.resetQueries();
        const response = await gateway.app.inject({ method: "GET", url: `/apis/metrics.smi-spec.io/v1alpha1/namespaces/${NS}/${path}` });
        return { response, queries: prometheus.queries() };
      };
      // The lookback's; an edge request also maps peers with the directory over its own window.
      const existence = (queries: readonly string[]) => queries.filter((q) => q.includes("present_over_time") && q.includes("[3600s]"));

      const known = await smi("deployments/api/edges");
      assert.equal(known.response.statusCode, 200);
      assert.ok((known.response.json() as { items: unknown[] }).items.length > 0);
      const checks = existence(known.queries);
      assert.equal(checks.length, NARROWED[mesh]!.length, checks.join("\n"));
      NARROWED[mesh]!.forEach((part, i) => {
        assert.ok(checks[i]!.includes(part), `${checks[i]}\nlacks ${part}`);
      });

      const unknown = await smi("deployments/nobody-here");
      assert.equal(unknown.response.statusCode, 404);
      assert.equal((unknown.response.json() as { reason: string }).reason, "NotFound");
      assert.deepEqual(unknown.queries, existence(unknown.queries), "nothing but the existence check");
      assert.equal(unknown.queries.length, NARROWED[mesh]!.length);

      // Consul: the canary's pod calls as `web`, a service its stable Deployment owns: not seen, as in the listing.
      const canary = await smi("deployments/web-canary");
      assert.equal(canary.response.statusCode, mesh === "istio" ? 200 : 404);
      assert.equal((await smi("statefulsets/store")).response.statusCode, 200);
      assert.equal((await smi("deployments/store")).response.statusCode, 404);

      const graphql = await data(gateway, ResourceMetricsDocument, {
        kind: "DEPLOYMENT",
        namespace: NS,
        name: "nobody-here",
        window: "1m",
        at,
      });
      assert.equal(graphql.resource, null);
      const namespace = await data(gateway, ResourceMetricsDocument, { kind: "NAMESPACE", name: NS, window: "1m", at });
      assert.equal(namespace.resource?.name, NS);
    });
  });
}
