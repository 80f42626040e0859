// The gateway as an extension API server: HTTPS, front-proxy authentication,
// SubjectAccessReviews, and the Kubernetes inventory joined with a real
// Prometheus. No kube-apiserver can be installed on these machines, so the
// cluster is the loopback fake in test/fakes/kube-apiserver.ts, serving
// real-shaped objects built from the same traffic model as the metrics.

import assert from "node:assert/strict";
import { mkdtempSync, rmSync } from "node:fs";
import { request } from "node:https";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { windowOfSeconds } from "../../src/domain/window.ts";
import { createGateway, type Gateway } from "../../src/server/gateway.ts";
import { expectedInbound } from "../fixtures/expected.ts";
import { linkerd } from "../../src/demo/traffic/linkerd.ts";
import { makeTestPki, type Pem, type TestPki } from "../fakes/certs.ts";
import { FakeKubeApiServer } from "../fakes/kube-apiserver.ts";
import { namespace } from "../fakes/kube-objects.ts";
import { objectsOf } from "../fakes/model-cluster.ts";
import { DATA, HISTORY, SHOP, STEP, T0, T0_DATE, topologyModel } from "../fixtures/topology.ts";
import { fakeClusterFlags } from "../harness/kube.ts";
import { startPrometheus, type PrometheusInstance } from "../harness/prometheus.ts";
import { captureLog, type CapturedLog } from "../support/log-capture.ts";
import { liveClient, record, type LiveClient } from "../support/live.ts";

const model = topologyModel();
let pki: TestPki;
let fake: FakeKubeApiServer;
let prometheus: PrometheusInstance;
let gateway: Gateway;
let base: string;
let dir: string;
let log: CapturedLog;

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
  fake.sarRules.push(
    { user: "alice", namespace: SHOP, allowed: true },
    { user: "bob", namespace: DATA, allowed: true },
    { group: "shop-team", namespace: SHOP, allowed: true },
  );

  dir = mkdtempSync(join(tmpdir(), "meshql-cluster-test-"));
  prometheus = await startPrometheus({ model, formats: [linkerd], ...HISTORY });
  log = captureLog("debug");
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
    kube: fakeClusterFlags(fake, dir, "without-cluster"),
    tls: { certFile: pki.server.certFile, keyFile: pki.server.keyFile },
    logger: log.logger,
    subscriptions: { reauthorizeMs: 300 },
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

function call(
  caller: Caller,
  method: "GET" | "POST",
  path: string,
  body?: unknown,
): Promise<{ status: number; json: Record<string, unknown> }> {
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
          const json = res.headers["content-type"]?.startsWith("application/json")
            ? (JSON.parse(text) as Record<string, unknown>)
            : { text };
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
    const query =
      '{ resources(kind: DEPLOYMENT) { namespace name inCluster pods { meshed total } metrics(window: "1m") { requestCount ' +
      "successRate latency { p99 } } } }";
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
    assert.equal(
      catalog.metrics.requestCount,
      expectedInbound(model, { kind: "DEPLOYMENT", namespace: SHOP, name: "catalog" }, T0 - 60, T0).total,
    );
    assert.deepEqual(resources.find((r) => r.name === "loadgen")!.pods, { meshed: 0, total: 1 });

    const bob = await graphql(asUser("bob"), query);
    assert.deepEqual(
      (bob.json.data as { resources: GqlResource[] }).resources.map((r) => `${r.namespace}/${r.name}`),
      ["data/reports"],
    );
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
    assert.deepEqual(
      errors.map((e) => [e.path.join("."), e.extensions.code]),
      [["theirs", "FORBIDDEN"]],
    );
  });

  it("hides edge peers the user may not see, in GraphQL and REST alike", async () => {
    const query =
      '{ resource(kind: DEPLOYMENT, namespace: "shop", name: "catalog") { edges(window: "1m", direction: FROM) { peer { namespace ' +
      "name } } } }";
    const peers = async (caller: Caller) =>
      (
        (await graphql(caller, query)).json.data as { resource: { edges: Array<{ peer: { namespace: string; name: string } }> } }
      ).resource.edges
        .map((e) => `${e.peer.namespace}/${e.peer.name}`)
        .sort();
    assert.deepEqual(await peers(asUser("alice")), ["shop/frontend"], "data/reports calls catalog, but alice may not see data");
    fake.sarRules.unshift({ user: "alice", namespace: DATA, resource: "deployments", verb: "get", allowed: true });
    try {
      // A fresh user name, so no cached decision hides the new rule.
      fake.sarRules.unshift(
        { user: "alice2", namespace: SHOP, allowed: true },
        { user: "alice2", namespace: DATA, resource: "deployments", verb: "get", allowed: true },
      );
      assert.deepEqual(await peers(asUser("alice2")), ["data/reports", "shop/frontend"]);
    } finally {
      fake.sarRules.splice(0, 3);
    }
    const rest = await call(
      asUser("alice"),
      "GET",
      "/apis/metrics.smi-spec.io/v1alpha1/namespaces/shop/deployments/catalog/edges?window=1m",
    );
    assert.equal(rest.status, 200);
    const items = rest.json.items as Array<{ edge: { resource: { namespace: string; name: string } } }>;
    assert.ok(
      items.length > 0 && items.every((i) => i.edge.resource.namespace === SHOP),
      JSON.stringify(items.map((i) => i.edge.resource)),
    );
  });

  it("resolves edge peers and the edge's own resource from the inventory, like any other resource", async () => {
    const query =
      '{ resource(kind: DEPLOYMENT, namespace: "shop", name: "catalog") { edges(window: "1m") { resource { name inCluster labels { ' +
      "key value } pods { total } } peer { namespace name inCluster labels { key value } pods { total } } } } }";
    const result = await graphql(asUser("alice"), query);
    assert.equal(result.status, 200, JSON.stringify(result.json));
    const edges = (
      result.json.data as {
        resource: { edges: Array<Record<string, { name: string; inCluster: boolean | null; labels: unknown[] | null; pods: unknown }>> };
      }
    ).resource.edges;
    assert.ok(edges.length > 0);
    for (const e of edges) {
      for (const side of [e.resource!, e.peer!]) {
        assert.equal(side.inCluster, true, `${side.name} exists in the cluster`);
        assert.ok(side.labels && side.labels.length > 0, `${side.name} has its labels`);
        assert.ok(side.pods, `${side.name} has its pod counts`);
      }
    }
  });

  it("draws the graph per user: idle workloads appear, peers the user may not see are hidden but their traffic counts", async () => {
    interface Node {
      id: string;
      type: string;
      outside: boolean;
      resource: { namespace: string; name: string; inCluster: boolean | null; labels: unknown[] | null } | null;
    }
    const query = `{ graph(namespaces: ["shop"], window: "5m") {
      nodes { id type outside resource { namespace name inCluster labels { key value } } }
      edges { source { id } destination { id type } metrics { requestCount } } } }`;
    const alice = await graphql(asUser("alice"), query);
    assert.equal(alice.status, 200, JSON.stringify(alice.json));
    const graph = (
      alice.json.data as {
        graph: {
          nodes: Node[];
          edges: Array<{ source: { id: string }; destination: { id: string; type: string }; metrics: { requestCount: number } }>;
        };
      }
    ).graph;
    const names = graph.nodes.flatMap((n) => (n.resource ? [n.resource.name] : []));
    assert.ok(names.includes("legacy-admin"), "the idle Deployment is a node");
    assert.ok(names.includes("loadgen"), "the unmeshed Deployment exists in the cluster, so it is a node");
    assert.ok(!names.includes("db") && !names.includes("reports"), "data's workloads are never named to alice");
    const hidden = graph.nodes.filter((n) => n.type === "HIDDEN");
    assert.equal(hidden.length, 2, "data/db and data/reports are hidden nodes");
    assert.ok(hidden.every((n) => n.resource === null && !n.id.includes("data") && !n.id.includes("db")));
    const intoHidden = graph.edges.filter((e) => e.destination.type === "HIDDEN");
    assert.deepEqual(intoHidden.map((e) => e.source.id).sort(), ["DEPLOYMENT/shop/cart", "DEPLOYMENT/shop/catalog"]);
    assert.ok(
      intoHidden.every((e) => e.metrics.requestCount > 0),
      "traffic to hidden peers still counts",
    );
    const frontend = graph.nodes.find((n) => n.id === "DEPLOYMENT/shop/frontend")!;
    assert.equal(frontend.resource?.inCluster, true);
    assert.ok(Array.isArray(frontend.resource?.labels), "graph nodes resolve from the inventory like any Resource");

    const bob = await graphql(asUser("bob"), query);
    assert.equal((bob.json.errors as Array<{ extensions: { code: string } }>)[0]?.extensions.code, "FORBIDDEN");
    const everything = await graphql(asUser("bob"), query.replace(`namespaces: ["shop"], `, ""));
    const bobNodes = (everything.json.data as { graph: { nodes: Node[] } }).graph.nodes;
    assert.ok(
      bobNodes.filter((n) => n.resource).every((n) => n.resource!.namespace === "data"),
      "without namespaces: only those bob may list",
    );
  });

  it("answers REST with 403 outside the user's namespaces and lists idle workloads inside them", async () => {
    const forbidden = await call(asUser("alice"), "GET", "/apis/metrics.smi-spec.io/v1alpha1/namespaces/data/deployments");
    assert.equal(forbidden.status, 403);
    assert.equal(forbidden.json.kind, "Status");
    assert.equal(forbidden.json.reason, "Forbidden");
    const list = await call(asUser("alice"), "GET", "/apis/metrics.smi-spec.io/v1alpha1/namespaces/shop/deployments");
    assert.equal(list.status, 200);
    const idle = (list.json.items as Array<{ resource: { name: string }; metrics: Array<{ name: string; value: string }> }>).find(
      (i) => i.resource.name === "legacy-admin",
    );
    assert.deepEqual(
      idle?.metrics,
      [
        { name: "p99_response_latency", unit: "ms", value: "0" },
        { name: "p90_response_latency", unit: "ms", value: "0" },
        { name: "p50_response_latency", unit: "ms", value: "0" },
        { name: "success_count", value: "0" },
        { name: "failure_count", value: "0" },
      ],
      'an idle deployment: zero counts, and latency "0" as the SMI wire convention',
    );
    const unknown = await call(asUser("alice"), "GET", "/apis/metrics.smi-spec.io/v1alpha1/namespaces/shop/deployments/nonexistent");
    assert.equal(unknown.status, 404);
    // The cluster says it does not exist: its edges are a 404 too (without a cluster, an empty list).
    const unknownEdges = await call(
      asUser("alice"),
      "GET",
      "/apis/metrics.smi-spec.io/v1alpha1/namespaces/shop/deployments/nonexistent/edges",
    );
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
    const gql = await graphql(
      asUser("alice"),
      `{ resources(kind: DEPLOYMENT, namespace: "shop", labelSelector: "tier in (web), app!=x") { name } }`,
    );
    assert.deepEqual((gql.json.data as { resources: Array<{ name: string }> }).resources, [{ name: "frontend" }]);
    const rest = await call(
      asUser("alice"),
      "GET",
      `/apis/metrics.smi-spec.io/v1alpha1/namespaces/shop/deployments?labelSelector=${encodeURIComponent("tier=backend,!missing")}`,
    );
    assert.deepEqual(
      (rest.json.items as Array<{ resource: { name: string } }>).map((i) => i.resource.name),
      ["cart", "catalog", "legacy-admin", "loadgen"],
    );
    const bad = await call(
      asUser("alice"),
      "GET",
      `/apis/metrics.smi-spec.io/v1alpha1/namespaces/shop/deployments?labelSelector=${encodeURIComponent("tier in (web")}`,
    );
    assert.equal(bad.status, 400);
  });

  it("keeps a deleted workload that still has traffic visible, marked as gone", async () => {
    const cart = model.workloads.find((w) => w.name === "cart")!;
    fake.remove("Deployment", SHOP, "cart");
    try {
      let found: GqlResource | undefined;
      for (let i = 0; i < 50 && found?.inCluster !== false; i++) {
        const r = await graphql(
          asUser("alice"),
          '{ resources(kind: DEPLOYMENT, namespace: "shop") { namespace name inCluster pods { meshed total } metrics { ' +
            "requestCount successRate latency { p99 } } } }",
        );
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

  it("logs who asked, never their token, the gateway's token or a certificate", async () => {
    await graphql({ headers: { authorization: "Bearer carol-token" } }, `{ resources(kind: NAMESPACE) { name } }`);
    await call(asUser("alice", ["shop-team"]), "GET", "/apis/metrics.smi-spec.io/v1alpha1/namespaces/shop/deployments/catalog");
    await call({ headers: { authorization: "Bearer nope" } }, "GET", "/apis/metrics.smi-spec.io/v1alpha1/namespaces/shop/deployments");
    const requests = log.lines().filter((l) => l.msg === "request");
    const last = requests.slice(-3);
    assert.deepEqual(
      last.map((l) => [l.method, l.route, l.status, l.user]),
      [
        ["POST", "/graphql", 200, "carol"],
        ["GET", "/apis/*", 200, "alice"],
        ["GET", "/apis/*", 401, undefined],
      ],
    );
    const text = log.text();
    for (const secret of [
      "carol-token",
      "Bearer",
      "meshql-sa",
      "BEGIN CERTIFICATE",
      "PRIVATE KEY",
      pki.clients.allowed.cert.split("\n")[1]!,
    ]) {
      assert.ok(!text.includes(secret), `${secret} is not in the log`);
    }
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

describe("subscriptions in a cluster", () => {
  const clients: LiveClient[] = [];
  after(async () => {
    for (const c of clients) await c.dispose();
  });
  const connect = (caller: Caller, connectionParams?: Record<string, unknown>): LiveClient => {
    const c = liveClient(base, {
      socket: {
        ca: pki.servingCA.cert,
        ...(caller.cert ? { cert: caller.cert.cert, key: caller.cert.key } : {}),
        ...(caller.headers ? { headers: caller.headers as Record<string, string> } : {}),
      }, // ws hands repeated headers (arrays) to http.request as they are
      ...(connectionParams ? { connectionParams } : {}),
    });
    clients.push(c);
    return c;
  };
  const catalog =
    'subscription { resource(kind: DEPLOYMENT, namespace: "shop", name: "catalog") { name metrics(window: "1m") { requestCount } } ' + "}";
  type Catalog = { resource: { name: string; metrics: { requestCount: number } } | null };

  it("authenticates the upgrade request by front-proxy certificate and headers", async () => {
    const stream = record<Catalog, object>(connect(asUser("alice")), catalog, {});
    await stream.until(1);
    const expected = expectedInbound(model, { kind: "DEPLOYMENT", namespace: SHOP, name: "catalog" }, T0 - 60, T0).total;
    assert.deepEqual(stream.events[0]!.data, { resource: { name: "catalog", metrics: { requestCount: expected } } });
    stream.unsubscribe();
  });

  it("authenticates a bearer token sent in connection_init", async () => {
    const stream = record<{ resources: Array<{ name: string }> }, object>(
      connect({}, { authorization: "Bearer carol-token" }),
      `subscription { resources(kind: NAMESPACE) { name } }`,
      {},
    );
    await stream.until(1);
    assert.deepEqual(stream.events[0]!.data, { resources: [{ name: SHOP }] });
    stream.unsubscribe();
  });

  it("closes with 4401 a connection it cannot authenticate, spoofed headers included", async () => {
    for (const [what, caller, params] of [
      ["no credentials", {}, undefined],
      ["an unknown token in connection_init", {}, { authorization: "Bearer nope" }],
      ["X-Remote-User without a front-proxy certificate", { headers: { "X-Remote-User": "alice" } }, undefined],
      ["X-Remote-User in connection_init without a front-proxy certificate", {}, { "X-Remote-User": "alice" }],
    ] as Array<[string, Caller, Record<string, unknown> | undefined]>) {
      const c = connect(caller, params);
      const ending = await record(c, catalog, {}).ended;
      assert.equal(ending.how, "error", what);
      assert.equal(c.closes[0]?.code, 4401, what);
    }
  });

  it("answers FORBIDDEN at subscribe time and ends the stream", async () => {
    const stream = record(
      connect(asUser("alice")),
      `subscription { resource(kind: DEPLOYMENT, namespace: "data", name: "reports") { name } }`,
      {},
    );
    assert.deepEqual(await stream.ended, { how: "complete" });
    assert.equal(stream.events.length, 1);
    assert.deepEqual(
      stream.events[0]!.errors?.map((e) => e.extensions?.code),
      ["FORBIDDEN"],
    );
  });

  it("ends a stream with FORBIDDEN when its user loses access, between events", async () => {
    const rule = { user: "dave", namespace: SHOP, allowed: true };
    fake.sarRules.unshift(rule);
    // every 30d: no second event comes by the clock, so only re-authorization can end the stream.
    const stream = record<Catalog, object>(
      connect(asUser("dave")),
      catalog.replace('name: "catalog"', 'name: "catalog", every: "30d"'),
      {},
    );
    try {
      await stream.until(1);
      assert.equal(stream.events[0]!.data?.resource?.name, "catalog");
    } finally {
      fake.sarRules.splice(fake.sarRules.indexOf(rule), 1);
    }
    // The authorizer keeps an allowed decision 10 s; the stream notices within that plus the 300 ms re-check period.
    assert.deepEqual(await stream.ended, { how: "complete" });
    assert.equal(stream.events.length, 2);
    assert.deepEqual(
      stream.events[1]!.errors?.map((e) => e.extensions?.code),
      ["FORBIDDEN"],
    );
  });
});
