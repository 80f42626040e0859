import assert from "node:assert/strict";
import { after, before, beforeEach, describe, it } from "node:test";
import { KubeClient } from "../../src/kube/client.ts";
import { AuthorizationUnavailableError, SubjectAccessReviewAuthorizer } from "../../src/kube/authorizer.ts";
import type { AccessCheck, UserInfo } from "../../src/service/access.ts";
import { FakeKubeApiServer } from "../fakes/kube-apiserver.ts";

const alice: UserInfo = { username: "alice", groups: ["devs", "system:authenticated"], extra: { scopes: ["b", "a"] } };
const bob: UserInfo = { username: "bob", groups: ["system:authenticated"] };
const get = (ns: string | null, resource = "deployments", subresource: "edges" | null = null, name: string | null = null): AccessCheck => ({
  verb: name ? "get" : "list",
  resource,
  subresource,
  namespace: ns,
  name,
});

describe("SubjectAccessReviewAuthorizer", () => {
  let fake: FakeKubeApiServer;
  let client: KubeClient;
  let now = 1_000_000;

  before(async () => {
    fake = await FakeKubeApiServer.start();
    client = new KubeClient(fake.kubeConfig());
    fake.sarRules.push(
      { user: "alice", namespace: "shop", subresource: "edges", allowed: false },
      { user: "alice", namespace: "shop", allowed: true },
      { group: "devs", namespace: "dev", resource: "pods", allowed: true },
      { user: "bob", namespace: "", resource: "namespaces", verb: "list", allowed: true },
    );
  });
  beforeEach(() => {
    fake.sar.count = 0;
    fake.sar.maxInFlight = 0;
    fake.sar.delayMs = 0;
    fake.sar.failWith = null;
    fake.sar.log.length = 0;
  });
  after(async () => {
    client.close();
    await fake.close();
  });

  const make = () => new SubjectAccessReviewAuthorizer(client, { now: () => now, allowedTtlMs: 10_000, deniedTtlMs: 5_000 });

  it("sends real-shaped reviews and follows the decision table per namespace, resource, subresource and verb", async () => {
    const authz = make();
    const answers = await authz.allowed(alice, [
      get("shop"),
      get("shop", "deployments", "edges", "web"),
      get("dev", "pods"),
      get("dev", "deployments"),
      get(null, "namespaces"),
    ]);
    assert.deepEqual(answers, [true, false, true, false, false]);
    assert.deepEqual(await authz.allowed(bob, [get(null, "namespaces"), get("shop")]), [true, false]);
    const edges = fake.sar.log.find((s) => s.resourceAttributes?.subresource === "edges")!;
    assert.deepEqual(edges, {
      user: "alice",
      groups: ["devs", "system:authenticated"],
      extra: { scopes: ["b", "a"] },
      resourceAttributes: {
        group: "metrics.smi-spec.io",
        version: "v1alpha1",
        resource: "deployments",
        verb: "get",
        subresource: "edges",
        namespace: "shop",
        name: "web",
      },
    });
    const clusterScoped = fake.sar.log.find((s) => s.user === "bob" && s.resourceAttributes?.resource === "namespaces")!;
    assert.equal(clusterScoped.resourceAttributes?.namespace, undefined, "a cluster-scoped check has no namespace");
  });

  it("sends the reviews of a 50-namespace request concurrently, in one batch", async () => {
    const authz = make();
    fake.sar.delayMs = 50;
    const namespaces = Array.from({ length: 50 }, (_, i) => `ns-${i}`);
    const started = Date.now();
    const answers = await authz.allowed(
      alice,
      namespaces.map((ns) => get(ns)),
    );
    const elapsed = Date.now() - started;
    assert.equal(answers.length, 50);
    assert.equal(fake.sar.count, 50);
    assert.equal(authz.stats.batches, 1);
    assert.ok(fake.sar.maxInFlight >= 25, `max concurrent reviews ${fake.sar.maxInFlight}`);
    // 50 sequential round-trips would take 2500 ms.
    assert.ok(elapsed < 1000, `took ${elapsed} ms`);
  });

  it("joins checks from separate calls made in the same tick into one batch", async () => {
    const authz = make();
    await Promise.all([authz.allowed(alice, [get("a")]), authz.allowed(alice, [get("b")]), authz.allowed(bob, [get("a")])]);
    assert.equal(authz.stats.batches, 1);
    assert.equal(fake.sar.count, 3);
  });

  it("coalesces identical checks in flight and caches answers: allowed 10 s, denied 5 s", async () => {
    const authz = make();
    fake.sar.delayMs = 20;
    const [a, b] = await Promise.all([
      authz.allowed(alice, [get("shop"), get("shop")]),
      authz.allowed({ ...alice, groups: ["system:authenticated", "devs"], extra: { scopes: ["a", "b"] } }, [get("shop"), get("nope")]),
    ]);
    assert.deepEqual(a, [true, true]);
    assert.deepEqual(b, [true, false]);
    assert.equal(fake.sar.count, 2, "same user (groups in another order) and check: one review");
    await authz.allowed(alice, [get("shop"), get("nope")]);
    assert.equal(fake.sar.count, 2, "both answers cached");
    now += 6_000;
    await authz.allowed(alice, [get("shop"), get("nope")]);
    assert.equal(fake.sar.count, 3, "the denial expired after 5 s, the allowance did not");
    now += 5_000;
    await authz.allowed(alice, [get("shop")]);
    assert.equal(fake.sar.count, 4, "the allowance expired after 10 s");
    await authz.allowed(bob, [get("shop")]);
    assert.equal(fake.sar.count, 5, "another user is another review");
  });

  it("rejects with AuthorizationUnavailableError when the API server fails, and caches nothing", async () => {
    const authz = make();
    fake.sar.failWith = 500;
    await assert.rejects(authz.allowed(alice, [get("shop")]), AuthorizationUnavailableError);
    fake.sar.failWith = 403;
    await assert.rejects(authz.allowed(alice, [get("shop")]), AuthorizationUnavailableError);
    fake.sar.failWith = null;
    assert.deepEqual(await authz.allowed(alice, [get("shop")]), [true]);
    assert.equal(fake.sar.count, 3);
  });

  it("rejects when the API server is unreachable", async () => {
    const gone = await FakeKubeApiServer.start();
    const c = new KubeClient(gone.kubeConfig());
    await gone.close();
    const authz = new SubjectAccessReviewAuthorizer(c);
    await assert.rejects(authz.allowed(alice, [get("shop")]), AuthorizationUnavailableError);
    c.close();
  });
});
