// Istio and Consul name workloads without their kind. With a cluster, the
// Kubernetes inventory resolves it; without one, pod names do, and Jobs and
// standalone ReplicaSets read as DaemonSets. Real Prometheus, and the loopback
// Kubernetes API fake serving the same model's objects.

import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { refKey } from "../../src/domain/resource.ts";
import { windowOfSeconds } from "../../src/domain/window.ts";
import { KubeClient } from "../../src/kube/client.ts";
import { KubeInventory } from "../../src/kube/inventory.ts";
import type { MeshName } from "../../src/mesh/adapter.ts";
import { createAdapter } from "../../src/mesh/registry.ts";
import { PrometheusClient } from "../../src/prometheus/client.ts";
import { consul } from "../../src/demo/traffic/consul.ts";
import { istio } from "../../src/demo/traffic/istio.ts";
import { FakeKubeApiServer } from "../fakes/kube-apiserver.ts";
import { namespace } from "../fakes/kube-objects.ts";
import { objectsOf } from "../fakes/model-cluster.ts";
import { expectedInbound } from "../fixtures/expected.ts";
import { DATA, HISTORY, REFS, SHOP, T0, T0_DATE, topologyModel } from "../fixtures/topology.ts";
import { startPrometheus, type PrometheusInstance } from "../harness/prometheus.ts";

const model = topologyModel();
let fake: FakeKubeApiServer;
let inventory: KubeInventory;
const prometheus = new Map<MeshName, PrometheusInstance>();
const meshes = [
  ["istio", istio, "istio-proxy"],
  ["consul", consul, "consul-dataplane"],
] as const;

before(async () => {
  fake = await FakeKubeApiServer.start();
  for (const ns of [SHOP, DATA]) fake.apply(namespace(ns));
  for (const w of model.workloads) for (const o of objectsOf(w)) fake.apply(o);
  inventory = new KubeInventory(new KubeClient(fake.kubeConfig()));
  await inventory.ready();
  for (const [mesh, format] of meshes) prometheus.set(mesh, await startPrometheus({ model, formats: [format], ...HISTORY }));
});

after(async () => {
  inventory?.close();
  await fake?.close();
  for (const p of prometheus.values()) await p.stop();
});

const scope = (kind: "JOB" | "REPLICASET" | "DAEMONSET") => ({ kind, namespace: null, at: T0_DATE, lookback: windowOfSeconds(3600) });

for (const [mesh] of meshes) {
  describe(`${mesh} kinds`, () => {
    const adapter = (withInventory: boolean) =>
      createAdapter(mesh, new PrometheusClient({ baseUrl: prometheus.get(mesh)!.url }), withInventory ? inventory : null);

    it("resolves Jobs and standalone ReplicaSets through the inventory, with the model's counts", async () => {
      const a = adapter(true);
      assert.deepEqual((await a.seenResources(scope("JOB"))).map(refKey), [refKey(REFS.nightlyExport)]);
      assert.ok((await a.seenResources(scope("REPLICASET"))).some((r) => refKey(r) === refKey(REFS.canary)));
      assert.deepEqual((await a.seenResources(scope("DAEMONSET"))).map(refKey), [refKey(REFS.nodeAgent)]);
      const stats = await a.resourceStats({ kind: "JOB", refs: [REFS.nightlyExport], window: windowOfSeconds(60), at: T0_DATE });
      const want = expectedInbound(model, REFS.nightlyExport, T0 - 60, T0);
      assert.ok(want.total > 0);
      assert.equal(stats.get(refKey(REFS.nightlyExport))?.golden?.success, want.success);
    });

    it("without a cluster, infers kinds from pod names: a Job's pods read as a DaemonSet's", async () => {
      const a = adapter(false);
      assert.deepEqual(await a.seenResources(scope("JOB")), []);
      const daemonsets = (await a.seenResources(scope("DAEMONSET"))).map(refKey);
      assert.ok(daemonsets.includes(refKey({ ...REFS.nightlyExport, kind: "DAEMONSET" })), daemonsets.join(", "));
    });
  });
}
