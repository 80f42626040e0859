// Informer recovery: a cut watch resumes from the last resourceVersion, a
// compacted one (410 Gone) lists again, bookmarks keep the resume point fresh.

import assert from "node:assert/strict";
import { afterEach, describe, it } from "node:test";
import { KubeApiError, KubeClient } from "../../src/kube/client.ts";
import { KubeInventory } from "../../src/kube/inventory.ts";
import { FakeKubeApiServer, type FakeKubeOptions } from "../fakes/kube-apiserver.ts";
import { deployment, namespace, pod } from "../fakes/kube-objects.ts";
import { eventually, logSink } from "./helpers.ts";

const dep = (name: string) => ({ kind: "DEPLOYMENT" as const, namespace: "shop", name });

describe("informer recovery", () => {
  const cleanup: (() => Promise<void> | void)[] = [];
  afterEach(async () => {
    for (const c of cleanup.splice(0).reverse()) await c();
  });

  async function setup(options: FakeKubeOptions = {}, watchTimeoutSeconds?: number) {
    const fake = await FakeKubeApiServer.start(options);
    fake.apply(namespace("shop"));
    fake.apply(deployment("shop", "web"));
    fake.apply(deployment("shop", "api"));
    const client = new KubeClient(fake.kubeConfig());
    const sink = logSink();
    const inv = new KubeInventory(client, {
      log: sink.log,
      reflector: { backoffMinMs: 20, backoffMaxMs: 200, ...(watchTimeoutSeconds ? { watchTimeoutSeconds } : {}) },
    });
    cleanup.push(
      () => fake.close(),
      () => client.close(),
      () => inv.close(),
    );
    await inv.ready();
    await eventually(() => fake.openWatches === 7, "all seven watches open");
    return { fake, inv, sink };
  }

  it("resumes a cut watch from its resourceVersion without listing again, and misses nothing", async () => {
    const { fake, inv, sink } = await setup();
    const lists = fake.requests.lists.deployments;
    assert.equal(fake.cutWatches(), 7);
    // Written while no watch is open: only the resume from the old resourceVersion can deliver it.
    fake.apply(deployment("shop", "during-cut"));
    fake.remove("Deployment", "shop", "api");
    await eventually(() => inv.get(dep("during-cut"), []) !== null && inv.get(dep("api"), []) === null, "changes made during the cut");
    assert.equal(fake.requests.lists.deployments, lists, "no re-list was needed");
    assert.ok((fake.requests.watches.deployments ?? 0) >= 2);
    assert.ok(
      sink.lines.some((l) => l.includes("deployments") && l.includes("retrying")),
      sink.lines.join("\n"),
    );
    await eventually(() => fake.openWatches === 7, "watches reopened");
    fake.apply(deployment("shop", "after-cut"));
    await eventually(() => inv.get(dep("after-cut"), []) !== null, "events flow on the new watch");
  });

  for (const expiredAs of ["event", "status"] as const) {
    it(
      `lists again after 410 Gone (as ${expiredAs === "event" ? "an ERROR event" : "an HTTP status"}), dropping what was deleted ` +
        "meanwhile",
      async () => {
        const { fake, inv } = await setup({ expiredAs });
        const lists = fake.requests.lists.deployments ?? 0;
        fake.cutWatches();
        fake.apply(deployment("shop", "while-away"));
        fake.remove("Deployment", "shop", "web");
        fake.compact();
        await eventually(() => inv.get(dep("while-away"), []) !== null && inv.get(dep("web"), []) === null, "state after re-list");
        assert.equal(fake.requests.lists.deployments, lists + 1, "exactly one re-list of deployments");
        assert.ok(inv.stats().DEPLOYMENT.expired >= 1);
        assert.deepEqual(
          inv.list({ kind: "DEPLOYMENT", namespace: "shop", selector: null }, []).map((i) => i.ref.name),
          ["api", "while-away"],
        );
      },
    );
  }

  it("moves its resume point on bookmarks, so a quiet collection survives compaction without re-listing", async () => {
    const { fake, inv } = await setup();
    // Pod churn advances the server's resourceVersion; the deployments watch sees none of it but a bookmark.
    for (let i = 0; i < 5; i++) fake.apply(pod("shop", `p-${i}`));
    fake.bookmark();
    await eventually(() => inv.list({ kind: "POD", namespace: "shop", selector: null }, []).length === 5, "pods");
    await new Promise((r) => setTimeout(r, 50));
    const lists = fake.requests.lists.deployments;
    fake.cutWatches();
    fake.compact();
    fake.apply(deployment("shop", "later"));
    await eventually(() => inv.get(dep("later"), []) !== null, "deployment written after compaction");
    assert.equal(fake.requests.lists.deployments, lists, "the bookmark's resourceVersion was still valid");
    assert.equal(inv.stats().DEPLOYMENT.expired, 0);
  });

  it("starts a new watch when the server ends one at timeoutSeconds", async () => {
    const { fake, inv } = await setup({}, 1);
    const watches = fake.requests.watches.deployments ?? 0;
    await eventually(() => (fake.requests.watches.deployments ?? 0) > watches, "a second watch", 4000);
    fake.apply(deployment("shop", "after-timeout"));
    await eventually(() => inv.get(dep("after-timeout"), []) !== null, "events on the renewed watch");
    assert.equal(inv.stats().DEPLOYMENT.lists, 1);
  });

  it("ready() rejects when the API server refuses meshql's credentials", async () => {
    const fake = await FakeKubeApiServer.start({ clientToken: "right" });
    const client = new KubeClient(fake.kubeConfig("wrong"));
    const inv = new KubeInventory(client, { reflector: { backoffMinMs: 20 } });
    cleanup.push(
      () => fake.close(),
      () => client.close(),
      () => inv.close(),
    );
    await assert.rejects(inv.ready(), (e: unknown) => e instanceof KubeApiError && e.status === 401);
  });
});
