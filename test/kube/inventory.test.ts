import assert from "node:assert/strict";
import { consulServiceOwner } from "../../src/mesh/consul/owner.ts";
import { after, before, describe, it } from "node:test";
import type { ResourceRef } from "../../src/domain/resource.ts";
import { parseSelector } from "../../src/domain/selector.ts";
import { KubeClient } from "../../src/kube/client.ts";
import { KubeInventory } from "../../src/kube/inventory.ts";
import { FakeKubeApiServer } from "../fakes/kube-apiserver.ts";
import { daemonSet, deployment, job, namespace, pod, replicaSet, statefulSet } from "../fakes/kube-objects.ts";
import { eventually, logSink } from "./helpers.ts";

const ref = (kind: ResourceRef["kind"], ns: string | null, name: string): ResourceRef => ({ kind, namespace: ns, name });

describe("KubeInventory against the loopback API fake", () => {
  let fake: FakeKubeApiServer;
  let client: KubeClient;
  let inv: KubeInventory;
  const sink = logSink();

  before(async () => {
    fake = await FakeKubeApiServer.start({ clientToken: "meshql-sa-token" });
    fake.apply(namespace("shop", { team: "retail" }));
    fake.apply(namespace("ops"));
    fake.apply(deployment("shop", "web", { app: "web", tier: "front" }));
    fake.apply(replicaSet("shop", "web-5d8f7c9b6", "web"));
    fake.apply(deployment("shop", "idle", { app: "idle", tier: "back" }, 0));
    fake.apply(statefulSet("shop", "db"));
    fake.apply(daemonSet("ops", "agent"));
    fake.apply(job("ops", "migrate"));
    fake.apply(
      pod("shop", "web-5d8f7c9b6-a", {
        owner: { kind: "ReplicaSet", name: "web-5d8f7c9b6" },
        sidecars: ["linkerd-proxy"],
        labels: { app: "web" },
      }),
    );
    fake.apply(
      pod("shop", "web-5d8f7c9b6-b", {
        owner: { kind: "ReplicaSet", name: "web-5d8f7c9b6" },
        annotations: { "linkerd.io/proxy-version": "stable-2.14" },
        labels: { app: "web" },
      }),
    );
    fake.apply(pod("shop", "web-5d8f7c9b6-c", { owner: { kind: "ReplicaSet", name: "web-5d8f7c9b6" }, labels: { app: "web" } }));
    fake.apply(pod("shop", "db-0", { owner: { kind: "StatefulSet", name: "db" }, nativeSidecars: ["istio-proxy"], labels: { app: "db" } }));
    fake.apply(
      pod("ops", "agent-x1", {
        owner: { kind: "DaemonSet", name: "agent" },
        annotations: { "consul.hashicorp.com/connect-inject-status": "injected", "consul.hashicorp.com/connect-service": "agent-svc" },
      }),
    );
    fake.apply(
      pod("ops", "agent-x2", {
        owner: { kind: "DaemonSet", name: "agent" },
        annotations: { "consul.hashicorp.com/connect-inject-status": "skipped" },
      }),
    );
    fake.apply(pod("ops", "migrate-q", { owner: { kind: "Job", name: "migrate" }, phase: "Succeeded", sidecars: ["consul-dataplane"] }));
    fake.apply(pod("ops", "bare", { labels: { app: "billing" }, sidecars: ["envoy-sidecar"] }));
    client = new KubeClient(fake.kubeConfig());
    inv = new KubeInventory(client, { log: sink.log, reflector: { pageSize: 2 } });
    await inv.ready();
  });

  after(async () => {
    inv.close();
    client.close();
    await fake.close();
  });

  it("lists every existing deployment, the idle one included, as inCluster", () => {
    const items = inv.list({ kind: "DEPLOYMENT", namespace: "shop", selector: null }, []);
    assert.deepEqual(
      items.map((i) => [i.ref.name, i.inCluster]),
      [
        ["idle", true],
        ["web", true],
      ],
    );
    const idle = items.find((i) => i.ref.name === "idle")!;
    assert.deepEqual(idle.pods, { meshed: 0, total: 0 });
    assert.deepEqual(idle.labels, { app: "idle", tier: "back" });
  });

  it("joins seen-but-gone resources as inCluster=false with unknown labels", () => {
    const items = inv.list({ kind: "DEPLOYMENT", namespace: "shop", selector: null }, [
      ref("DEPLOYMENT", "shop", "web"),
      ref("DEPLOYMENT", "shop", "old"),
      ref("DEPLOYMENT", "other", "x"),
      ref("POD", "shop", "web"),
    ]);
    assert.deepEqual(
      items.map((i) => [i.ref.name, i.inCluster, i.labels === null]),
      [
        ["idle", true, false],
        ["old", false, true],
        ["web", true, false],
      ],
    );
    const all = inv.list({ kind: "DEPLOYMENT", namespace: null, selector: null }, [ref("DEPLOYMENT", "other", "x")]);
    assert.deepEqual(
      all.map((i) => `${i.ref.namespace}/${i.ref.name}`),
      ["other/x", "shop/idle", "shop/web"],
    );
  });

  it("filters by label selector; gone resources match only an empty selector", () => {
    const seen = [ref("DEPLOYMENT", "shop", "old")];
    assert.deepEqual(
      inv.list({ kind: "DEPLOYMENT", namespace: null, selector: parseSelector("tier=front") }, seen).map((i) => i.ref.name),
      ["web"],
    );
    assert.deepEqual(
      inv.list({ kind: "DEPLOYMENT", namespace: null, selector: parseSelector("tier notin (front)") }, seen).map((i) => i.ref.name),
      ["idle"],
    );
    assert.deepEqual(
      inv.list({ kind: "DEPLOYMENT", namespace: null, selector: parseSelector("") }, seen).map((i) => i.ref.name),
      ["idle", "old", "web"],
    );
    assert.deepEqual(
      inv.list({ kind: "NAMESPACE", namespace: null, selector: parseSelector("team=retail") }, []).map((i) => i.ref.name),
      ["shop"],
    );
  });

  it("get: existing (even idle), seen-but-gone, unknown", () => {
    assert.equal(inv.get(ref("DEPLOYMENT", "shop", "idle"), [])?.inCluster, true);
    assert.equal(inv.get(ref("DEPLOYMENT", "shop", "old"), [ref("DEPLOYMENT", "shop", "old")])?.inCluster, false);
    assert.equal(inv.get(ref("DEPLOYMENT", "shop", "nope"), []), null);
    assert.equal(inv.get(ref("DEPLOYMENT", "ops", "web"), []), null, "same name in another namespace is another resource");
    assert.equal(inv.get(ref("NAMESPACE", null, "ops"), [])?.inCluster, true);
  });

  it("follows owners pod -> replicaset -> deployment, and to statefulsets, daemonsets, jobs", () => {
    assert.deepEqual(inv.ownerOf("shop", "web-5d8f7c9b6-a"), ref("DEPLOYMENT", "shop", "web"));
    assert.deepEqual(inv.ownerOf("shop", "db-0"), ref("STATEFULSET", "shop", "db"));
    assert.deepEqual(inv.ownerOf("ops", "agent-x1"), ref("DAEMONSET", "ops", "agent"));
    assert.deepEqual(inv.ownerOf("ops", "migrate-q"), ref("JOB", "ops", "migrate"));
    assert.equal(inv.ownerOf("ops", "bare"), null);
    assert.equal(inv.ownerOf("ops", "missing"), null);
  });

  it("counts meshed pods per resource: containers, native sidecars, injection annotations", () => {
    assert.deepEqual(inv.get(ref("DEPLOYMENT", "shop", "web"), [])?.pods, { meshed: 2, total: 3 });
    assert.deepEqual(inv.get(ref("REPLICASET", "shop", "web-5d8f7c9b6"), [])?.pods, { meshed: 2, total: 3 });
    assert.deepEqual(inv.get(ref("STATEFULSET", "shop", "db"), [])?.pods, { meshed: 1, total: 1 });
    assert.deepEqual(
      inv.get(ref("DAEMONSET", "ops", "agent"), [])?.pods,
      { meshed: 1, total: 2 },
      "connect-inject-status must be 'injected'",
    );
    assert.deepEqual(inv.get(ref("JOB", "ops", "migrate"), [])?.pods, { meshed: 0, total: 0 }, "a finished pod no longer counts");
    assert.deepEqual(inv.get(ref("POD", "ops", "bare"), [])?.pods, { meshed: 1, total: 1 });
    assert.deepEqual(inv.get(ref("POD", "shop", "web-5d8f7c9b6-c"), [])?.pods, { meshed: 0, total: 1 });
    assert.deepEqual(inv.get(ref("NAMESPACE", null, "shop"), [])?.pods, { meshed: 3, total: 4 });
    assert.deepEqual(inv.get(ref("NAMESPACE", null, "ops"), [])?.pods, { meshed: 2, total: 3 });
  });

  it("names workload kinds and Consul service owners", () => {
    assert.equal(inv.workloadKind("shop", "web"), "DEPLOYMENT");
    assert.equal(inv.workloadKind("shop", "db"), "STATEFULSET");
    assert.equal(inv.workloadKind("ops", "agent"), "DAEMONSET");
    assert.equal(inv.workloadKind("ops", "migrate"), "JOB");
    assert.equal(inv.workloadKind("shop", "nothing"), null);
    assert.deepEqual(consulServiceOwner(inv, "ops", "agent-svc"), ref("DAEMONSET", "ops", "agent"));
    assert.deepEqual(consulServiceOwner(inv, "shop", "web"), ref("DEPLOYMENT", "shop", "web"), "by app label");
    assert.deepEqual(consulServiceOwner(inv, "ops", "billing"), ref("POD", "ops", "bare"), "a bare pod is its own owner");
    assert.deepEqual(consulServiceOwner(inv, "shop", "idle"), ref("DEPLOYMENT", "shop", "idle"), "by workload name");
    assert.equal(consulServiceOwner(inv, "shop", "ghost"), null);
  });

  it("listed in pages (pageSize 2) and sent the service-account token", () => {
    assert.ok((fake.requests.lists.pods ?? 0) >= 4, `pods were listed in ${fake.requests.lists.pods} pages`);
    assert.equal(inv.list({ kind: "POD", namespace: null, selector: null }, []).length, 8);
  });

  it("applies watch events: add, update labels, delete", async () => {
    fake.apply(deployment("shop", "new", { app: "new" }));
    await eventually(() => inv.get(ref("DEPLOYMENT", "shop", "new"), []) !== null, "new deployment");
    fake.apply(deployment("shop", "new", { app: "new", tier: "front" }));
    await eventually(
      () => inv.list({ kind: "DEPLOYMENT", namespace: "shop", selector: parseSelector("tier=front") }, []).length === 2,
      "relabelled",
    );
    fake.remove("Deployment", "shop", "new");
    await eventually(() => inv.get(ref("DEPLOYMENT", "shop", "new"), []) === null, "deleted");
    assert.equal(inv.get(ref("DEPLOYMENT", "shop", "new"), [ref("DEPLOYMENT", "shop", "new")])?.inCluster, false);
  });

  it("keeps Consul service owners current as pods come and go; the annotation outranks the app label", async () => {
    const consul = (service: string) => consulServiceOwner(inv, "pay", service);
    fake.apply(namespace("pay"));
    fake.apply(statefulSet("pay", "ledger"));
    fake.apply(deployment("pay", "api"));
    fake.apply(replicaSet("pay", "api-7f9c", "api"));
    fake.apply(pod("pay", "api-7f9c-a", { owner: { kind: "ReplicaSet", name: "api-7f9c" }, labels: { app: "ledger-svc" } }));
    await eventually(() => consul("ledger-svc")?.kind === "DEPLOYMENT", "the app-labelled pod names the service");
    for (const name of ["ledger-0", "ledger-1"]) {
      fake.apply(
        pod("pay", name, {
          owner: { kind: "StatefulSet", name: "ledger" },
          annotations: { "consul.hashicorp.com/connect-service": "ledger-svc, audit,ledger-svc" },
        }),
      );
    }
    await eventually(() => consul("ledger-svc")?.kind === "STATEFULSET", "annotated pods take over");
    assert.deepEqual(consul("ledger-svc"), ref("STATEFULSET", "pay", "ledger"));
    assert.deepEqual(consul("audit"), ref("STATEFULSET", "pay", "ledger"), "one pod may declare several services");
    assert.equal(consulServiceOwner(inv, "shop", "ledger-svc"), null, "services are per namespace");
    fake.remove("Pod", "pay", "ledger-0");
    fake.remove("Pod", "pay", "ledger-1");
    await eventually(() => consul("ledger-svc")?.kind === "DEPLOYMENT", "back to the app label once the annotated pods are gone");
    assert.deepEqual(consul("ledger-svc"), ref("DEPLOYMENT", "pay", "api"));
    assert.equal(consul("audit"), null);
    fake.remove("Pod", "pay", "api-7f9c-a");
    await eventually(() => consul("ledger-svc") === null, "no pod and no workload of that name");
    assert.deepEqual(consul("api"), ref("DEPLOYMENT", "pay", "api"), "a workload of the service's name");
  });
});
