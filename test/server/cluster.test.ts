// The gateway as an extension API server: HTTPS, front-proxy authentication,
// SubjectAccessReviews, and the Kubernetes inventory joined with a real
// Prometheus. No kube-apiserver can be installed on these machines, so the
// cluster is the loopback fake in test/fakes/kube-apiserver.ts, serving
// real-shaped objects built from the same traffic model as the metrics.

import assert from "node:assert/strict";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { request } from "node:https";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { windowOfSeconds } from "../../src/domain/window.ts";
import { createGateway, type Gateway } from "../../src/server/gateway.ts";
import { expectedInbound } from "../fixtures/expected.ts";
import { linkerd } from "../../src/traffic/linkerd.ts";
import { makeTestPki, type Pem, type TestPki } from "../fakes/certs.ts";
import { FakeKubeApiServer } from "../fakes/kube-apiserver.ts";
import { namespace } from "../fakes/kube-objects.ts";
import { objectsOf } from "../fakes/model-cluster.ts";
import { DATA, HISTORY, SHOP, STEP, T0, T0_DATE, topologyModel } from "../fixtures/topology.ts";
import { startPrometheus, type PrometheusInstance } from "../harness/prometheus.ts";

const model = topologyModel();
let pki: TestPki;
let fake: FakeKubeApiServer;
let prometheus: PrometheusInstance;
let gateway: Gateway;
let base: string;
let dir: string;

before(async () => {
  pki = makeTestPki();
  fake = await FakeKubeApiServer.start({ clientToken: "meshql-sa" });
  for (const ns of [SHOP, DATA]) fake.apply(namespace(ns));
  for (const w of model.workloads) for (const o of objectsOf(w)) fake.apply(o);
  fake.authConfigMap = {
    "requestheader-client-ca-file": pki.frontProxyCA.cert,
    "requestheader-allowed-names": JSON.stringify(["front-proxy-client"]),
    "requestheader-username-headers": JSON.stringify(["X-Remote-User"]),
    "requestheader-group-headers": JSON.stringify(["X-Remote-Group"]),
    "requestheader-extra-headers-prefix": JSON.stringify(["X-Remote-Extra-"]),
  };
  fake.users.set("carol-token", { username: "carol", groups: ["shop-team"] });
  // alice reads shop, bob reads data, the shop-team group reads shop.
  fake.sarRules.push({ user: "alice", namespace: SHOP, allowed: true }, { user: "bob", namespace: DATA, allowed: true }, { group: "shop-team", namespace: SHOP, allowed: true });

  dir = mkdtempSync(join(tmpdir(), "meshql-cluster-test-"));
  const kubeconfig = join(dir, "kubeconfig");
  writeFileSync(
    kubeconfig,
    `apiVersion: v1
kind: Config
clusters: [{name: fake, cluster: {server: "${fake.url}", insecure-skip-tls-verify: true}}]
users: [{name: meshql, user: {token: meshql-sa}}]
contexts: [{name: fake, context: {cluster: fake, user: meshql}}]
current-context: fake
`,
  );

  prometheus = await startPrometheus({ model, formats: [linkerd], ...HISTORY });
  gateway = await createGateway({
    mesh: "linkerd",
    prometheusUrl: prometheus.url,
    defaultWindow: windowOfSeconds(60),
    scrapeInterval: windowOfSeconds(STEP),
    seenLookback: windowOfSeconds(3600),
    queryTimeoutMs: 10_000,
    cacheTtlMs: 0,
    clock: () => T0_DATE,
    processMetrics: false,
    kube: {
      kubeconfig,
      requestheaderClientCAFile: null,
      requestheaderAllowedNames: null,
      requestheaderUsernameHeaders: null,
      requestheaderGroupHeaders: null,
      requestheaderExtraHeadersPrefix: null,
      authenticationKubeconfig: null,
      authorizationKubeconfig: null,
      allowAnonymous: "without-cluster",
    },
    tls: { certFile: pki.server.certFile, keyFile: pki.server.keyFile },
  });
  base = await gateway.app.listen({ host: "127.0.0.1", port: 0 });
});

after(async () => {
  await gateway?.close();
  await prometheus?.stop();
  await fake?.close();
  pki?.cleanup();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

interface Caller {
  readonly cert?: Pem;
  readonly headers?: Record<string, string | string[]>;
}

const asUser = (user: string, groups: string[] = []): Caller => ({
  cert: pki.clients.allowed,
  headers: { "X-Remote-User": user, ...(groups.length ? { "X-Remote-Group": groups } : {}) },
});

function call(caller: Caller, method: "GET" | "POST", path: string, body?: unknown): Promise<{ status: number; json: Record<string, unknown> }> {
  const url = new URL(path, base);
  const payload = body === undefined ? undefined : JSON.stringify(body);
  return new Promise((resolve, reject) => {
    const req = request(
      url,
      {
        method,
        ca: pki.servingCA.cert,
        ...(caller.cert ? { cert: caller.cert.cert, key: caller.cert.key } : {}),
        headers: { ...caller.headers, ...(payload ? { "content-type": "application/json" } : {}) },
      },
      (res) => {
        let text = "";
        res.on("data", (c: Buffer) => (text += c.toString()));
        res.on("end", () => {
          const json = res.headers["content-type"]?.startsWith("application/json") ? (JSON.parse(text) as Record<string, unknown>) : { text };
          resolve({ status: res.statusCode ?? 0, json });
        });
      },
    );
    req.on("error", reject);
    req.end(payload);
  });
}

const graphql = (caller: Caller, query: string) => call(caller, "POST", "/graphql", { query });

interface GqlResource {
  namespace: string;
  name: string;
  inCluster: boolean | null;
  pods: { meshed: number; total: number } | null;
  metrics: { requestCount: number; successRate: number | null; latency: { p99: number | null } };
}

describe("in a cluster", () => {
  it("lists what exists joined with what has traffic, per user: an idle deployment appears with zeros", async () => {
    const query = `{ resources(kind: DEPLOYMENT) { namespace name inCluster pods { meshed total } metrics(window: "1m") { requestCount successRate latency { p99 } } } }`;
    const alice = await graphql(asUser("alice"), query);
    assert.equal(alice.status, 200, JSON.stringify(alice.json));
    const resources = (alice.json.data as { resources: GqlResource[] }).resources;
    assert.deepEqual(
      resources.map((r) => r.name),
      ["cart", "catalog", "frontend", "legacy-admin", "loadgen"],
      "alice sees shop's deployments only, idle and unmeshed ones included",
    );
    const idle = resources.find((r) => r.name === "legacy-admin")!;
    assert.deepEqual(idle, {
      namespace: SHOP,
      name: "legacy-admin",
      inCluster: true,
      pods: { meshed: 1, total: 1 },
      metrics: { requestCount: 0, successRate: null, latency: { p99: null } },
    });
    const catalog = resources.find((r) => r.name === "catalog")!;
    assert.equal(catalog.metrics.requestCount, expectedInbound(model, { kind: "DEPLOYMENT", namespace: SHOP, name: "catalog" }, T0 - 60, T0).total);
    assert.deepEqual(resources.find((r) => r.name === "loadgen")!.pods, { meshed: 0, total: 1 });

    const bob = await graphql(asUser("bob"), query);
    assert.deepEqual(((bob.json.data as { resources: GqlResource[] }).resources).map((r) => `${r.namespace}/${r.name}`), ["data/reports"]);
  });

  it("answers FORBIDDEN for a field in a forbidden namespace, and the rest of the document still comes back", async () => {
    const result = await graphql(
      asUser("alice"),
      `{ mine: resource(kind: DEPLOYMENT, namespace: "shop", name: "catalog") { name metrics { requestCount } }
         theirs: resource(kind: DEPLOYMENT, namespace: "data", name: "reports") { name metrics { requestCount } } }`,
    );
    const data = result.json.data as { mine: { name: string } | null; theirs: unknown };
    const errors = result.json.errors as Array<{ path: string[]; extensions: { code: string } }>;
    assert.equal(data.mine?.name, "catalog");
    assert.equal(data.theirs, null);
    assert.deepEqual(errors.map((e) => [e.path.join("."), e.extensions.code]), [["theirs", "FORBIDDEN"]]);
  });

  it("hides edge peers the user may not see, in GraphQL and REST alike", async () => {
    const query = `{ resource(kind: DEPLOYMENT, namespace: "shop", name: "catalog") { edges(window: "1m", direction: FROM) { peer { namespace name } } } }`;
    const peers = async (caller: Caller) =>
      ((await graphql(caller, query)).json.data as { resource: { edges: Array<{ peer: { namespace: string; name: string } }> } }).resource.edges
        .map((e) => `${e.peer.namespace}/${e.peer.name}`)
        .sort();
    assert.deepEqual(await peers(asUser("alice")), ["shop/frontend"], "data/reports calls catalog, but alice may not see data");
    fake.sarRules.unshift({ user: "alice", namespace: DATA, resource: "deployments", verb: "get", allowed: true });
    try {
      // A fresh user name, so no cached decision hides the new rule.
      fake.sarRules.unshift({ user: "alice2", namespace: SHOP, allowed: true }, { user: "alice2", namespace: DATA, resource: "deployments", verb: "get", allowed: true });
      assert.deepEqual(await peers(asUser("alice2")), ["data/reports", "shop/frontend"]);
    } finally {
      fake.sarRules.splice(0, 3);
    }
    const rest = await call(asUser("alice"), "GET", "/apis/metrics.smi-spec.io/v1alpha1/namespaces/shop/deployments/catalog/edges?window=1m");
    assert.equal(rest.status, 200);
    const items = rest.json.items as Array<{ edge: { resource: { namespace: string; name: string } } }>;
    assert.ok(items.length > 0 && items.every((i) => i.edge.resource.namespace === SHOP), JSON.stringify(items.map((i) => i.edge.resource)));
  });

  it("answers REST with 403 outside the user's namespaces and lists idle workloads inside them", async () => {
    const forbidden = await call(asUser("alice"), "GET", "/apis/metrics.smi-spec.io/v1alpha1/namespaces/data/deployments");
    assert.equal(forbidden.status, 403);
    assert.equal(forbidden.json.kind, "Status");
    assert.equal(forbidden.json.reason, "Forbidden");
    const list = await call(asUser("alice"), "GET", "/apis/metrics.smi-spec.io/v1alpha1/namespaces/shop/deployments");
    assert.equal(list.status, 200);
    const idle = (list.json.items as Array<{ resource: { name: string }; metrics: Array<{ name: string; value: string }> }>).find((i) => i.resource.name === "legacy-admin");
    assert.deepEqual(idle?.metrics, [
      { name: "p99_response_latency", unit: "ms", value: "0" },
      { name: "p90_response_latency", unit: "ms", value: "0" },
      { name: "p50_response_latency", unit: "ms", value: "0" },
      { name: "success_count", value: "0" },
      { name: "failure_count", value: "0" },
    ], "an idle deployment: zero counts, and latency \"0\" as the SMI wire convention");
    const unknown = await call(asUser("alice"), "GET", "/apis/metrics.smi-spec.io/v1alpha1/namespaces/shop/deployments/nonexistent");
    assert.equal(unknown.status, 404);
    // The cluster says it does not exist: its edges are a 404 too (without a cluster, an empty list).
    const unknownEdges = await call(asUser("alice"), "GET", "/apis/metrics.smi-spec.io/v1alpha1/namespaces/shop/deployments/nonexistent/edges");
    assert.equal(unknownEdges.status, 404);
    assert.equal(unknownEdges.json.reason, "NotFound");
  });

  it("lets a user who may list but not get a kind read the list's metrics, one review per namespace", async () => {
    fake.sarRules.unshift({ user: "lister", namespace: SHOP, resource: "deployments", verb: "list", allowed: true });
    try {
      const before = fake.sar.count;
      const list = await call(asUser("lister"), "GET", "/apis/metrics.smi-spec.io/v1alpha1/namespaces/shop/deployments");
      assert.equal(list.status, 200, JSON.stringify(list.json));
      assert.equal((list.json.items as unknown[]).length, 5);
      assert.equal(fake.sar.count - before, 1, "one list review, no review per item");
      const get = await call(asUser("lister"), "GET", "/apis/metrics.smi-spec.io/v1alpha1/namespaces/shop/deployments/catalog");
      assert.equal(get.status, 403);
    } finally {
      fake.sarRules.shift();
    }
  });

  it("evaluates label selectors on the inventory, in GraphQL and REST", async () => {
    const gql = await graphql(asUser("alice"), `{ resources(kind: DEPLOYMENT, namespace: "shop", labelSelector: "tier in (web), app!=x") { name } }`);
    assert.deepEqual((gql.json.data as { resources: Array<{ name: string }> }).resources, [{ name: "frontend" }]);
    const rest = await call(asUser("alice"), "GET", `/apis/metrics.smi-spec.io/v1alpha1/namespaces/shop/deployments?labelSelector=${encodeURIComponent("tier=backend,!missing")}`);
    assert.deepEqual((rest.json.items as Array<{ resource: { name: string } }>).map((i) => i.resource.name), ["cart", "catalog", "legacy-admin", "loadgen"]);
    const bad = await call(asUser("alice"), "GET", `/apis/metrics.smi-spec.io/v1alpha1/namespaces/shop/deployments?labelSelector=${encodeURIComponent("tier in (web")}`);
    assert.equal(bad.status, 400);
  });

  it("keeps a deleted workload that still has traffic visible, marked as gone", async () => {
    const cart = model.workloads.find((w) => w.name === "cart")!;
    fake.remove("Deployment", SHOP, "cart");
    try {
      let found: GqlResource | undefined;
      for (let i = 0; i < 50 && found?.inCluster !== false; i++) {
        const r = await graphql(asUser("alice"), `{ resources(kind: DEPLOYMENT, namespace: "shop") { namespace name inCluster pods { meshed total } metrics { requestCount successRate latency { p99 } } } }`);
        found = (r.json.data as { resources: GqlResource[] }).resources.find((x) => x.name === "cart");
        if (found?.inCluster !== false) await new Promise((resolve) => setTimeout(resolve, 100));
      }
      assert.equal(found?.inCluster, false);
      assert.ok((found?.metrics.requestCount ?? 0) > 0);
    } finally {
      fake.apply(objectsOf(cart)[0]!);
    }
  });

  it("authenticates by bearer token through TokenReview", async () => {
    const result = await graphql({ headers: { authorization: "Bearer carol-token" } }, `{ resources(kind: NAMESPACE) { name } }`);
    assert.deepEqual((result.json.data as { resources: Array<{ name: string }> }).resources, [{ name: SHOP }]);
  });

  it("refuses requests it cannot authenticate with 401, and spoofed identity headers too", async () => {
    const path = "/apis/metrics.smi-spec.io/v1alpha1/namespaces/shop/deployments";
    const cases: Array<[string, Caller]> = [
      ["no credentials", {}],
      ["X-Remote-User without a front-proxy certificate", { headers: { "X-Remote-User": "alice" } }],
      ["a client certificate from the wrong CA", { cert: pki.clients.wrongCA, headers: { "X-Remote-User": "alice" } }],
      ["a CN that is not an allowed name", { cert: pki.clients.disallowed, headers: { "X-Remote-User": "alice" } }],
      ["an expired certificate", { cert: pki.clients.expired, headers: { "X-Remote-User": "alice" } }],
      ["an unknown token", { headers: { authorization: "Bearer nope" } }],
    ];
    for (const [what, caller] of cases) {
      const rest = await call(caller, "GET", path);
      assert.equal(rest.status, 401, what);
      assert.equal(rest.json.reason, "Unauthorized", what);
      const gql = await graphql(caller, "{ resources(kind: NAMESPACE) { name } }");
      assert.equal(gql.status, 401, what);
      assert.equal((gql.json.errors as Array<{ extensions: { code: string } }>)[0]!.extensions.code, "UNAUTHENTICATED", what);
    }
    // Probes and discovery carry no credentials and hold no metrics.
    assert.equal((await call({}, "GET", "/readyz")).status, 200);
    assert.equal((await call({}, "GET", "/apis/metrics.smi-spec.io/v1alpha1")).status, 200);
  });
});
