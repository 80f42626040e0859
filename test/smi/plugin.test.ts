// The SMI plugin on a bare fastify app with a fake service scope: routing,
// query parameters, Status mapping, discovery, OpenAPI and probes.

import assert from "node:assert/strict";
import { describe, it } from "node:test";
import Fastify, { type FastifyInstance } from "fastify";
import { ForbiddenError } from "../../src/domain/errors.ts";
import { NO_LATENCY } from "../../src/domain/metrics.ts";
import { refKey } from "../../src/domain/resource.ts";
import { BackendError } from "../../src/prometheus/errors.ts";
import { registerSmi, smiFrameworkErrors } from "../../src/smi/index.ts";
import { FakeScope, view, type FakeData } from "./fake-scope.ts";

const B = "/apis/metrics.smi-spec.io/v1alpha1";
const frontend = { kind: "DEPLOYMENT", namespace: "shop", name: "frontend" } as const;
const catalog = { kind: "DEPLOYMENT", namespace: "shop", name: "catalog" } as const;
const db = { kind: "STATEFULSET", namespace: "data", name: "db" } as const;
const shop = { kind: "NAMESPACE", namespace: null, name: "shop" } as const;

function data(extra: Partial<FakeData> = {}): FakeData {
  return {
    resources: [view(frontend), view(catalog), view(db), view(shop)],
    stats: new Map([[refKey(frontend), { success: 10, failure: 1, latency: { p50: 1, p90: 2, p95: 3, p99: 4 } }]]),
    edges: new Map([
      [
        refKey(frontend),
        [
          { direction: "TO" as const, peer: catalog, stats: { success: 5, failure: 0, latency: NO_LATENCY } },
          { direction: "FROM" as const, peer: db, stats: { success: 1, failure: 0, latency: { p50: 1, p90: 1, p95: 1, p99: 1 } } },
        ],
      ],
    ]),
    ...extra,
  };
}

async function app(d: FakeData = data()): Promise<{ app: FastifyInstance; scopes: FakeScope[] }> {
  const scopes: FakeScope[] = [];
  const a = Fastify({ logger: false, frameworkErrors: smiFrameworkErrors });
  registerSmi(a, {
    scopeFor: () => {
      const s = new FakeScope(d);
      scopes.push(s);
      return s;
    },
    onInternalError: () => {},
  });
  await a.ready();
  return { app: a, scopes };
}

// biome-ignore lint/suspicious/noExplicitAny: answers of many shapes (lists, Status, OpenAPI) are read loosely; the assertions check them.
type Json = any;

async function get(a: FastifyInstance, url: string): Promise<{ code: number; body: Json; raw: string; type: string }> {
  const r = await a.inject({ method: "GET", url });
  let body: unknown = null;
  try {
    body = JSON.parse(r.body);
  } catch {
    body = r.body;
  }
  return { code: r.statusCode, body, raw: r.body, type: String(r.headers["content-type"] ?? "") };
}

describe("SMI routes", () => {
  it("serves get, list, edges, namespaces, across namespaces, with and without trailing slash", async () => {
    const { app: a } = await app();
    const one = await get(a, `${B}/namespaces/shop/deployments/frontend`);
    assert.equal(one.code, 200);
    assert.equal(one.type, "application/json; charset=utf-8");
    assert.equal(one.body.kind, "TrafficMetrics");
    assert.deepEqual(one.body.resource, { kind: "Deployment", namespace: "shop", name: "frontend" });
    assert.equal((await get(a, `${B}/namespaces/shop/deployments/frontend/`)).raw, one.raw);

    const list = await get(a, `${B}/namespaces/shop/deployments`);
    assert.equal(list.body.kind, "TrafficMetricsList");
    assert.deepEqual(list.body.items.map((i: Json) => i.metadata.name).sort(), ["catalog", "frontend"]);

    const all = await get(a, `${B}/statefulsets/`);
    assert.deepEqual(all.body.resource, { kind: "StatefulSet" });
    assert.equal(all.body.items[0].resource.namespace, "data");

    const edges = await get(a, `${B}/namespaces/shop/deployments/frontend/edges`);
    assert.deepEqual(
      edges.body.items.map((i: Json) => [i.edge.direction, i.edge.resource.name]),
      [
        ["from", "db"],
        ["to", "catalog"],
      ],
    );
    // An edge without latency data still has all five entries, latency "0" (the SDK's default).
    assert.deepEqual(edges.body.items[1].metrics, [
      { name: "p99_response_latency", unit: "ms", value: "0" },
      { name: "p90_response_latency", unit: "ms", value: "0" },
      { name: "p50_response_latency", unit: "ms", value: "0" },
      { name: "success_count", value: "5" },
      { name: "failure_count", value: "0" },
    ]);

    const ns = await get(a, `${B}/namespaces/shop`);
    assert.deepEqual(ns.body.resource, { kind: "Namespace", name: "shop" });
    assert.equal((await get(a, `${B}/namespaces/shop/edges`)).body.kind, "TrafficMetricsList");
    assert.equal((await get(a, `${B}/namespaces`)).body.resource.kind, "Namespace");
    await a.close();
  });

  it("window and t: Go's syntax in, Go's Duration.String() out, alias t, disagreement is a 400", async () => {
    const { app: a } = await app();
    const windowOf = async (q: string) => (await get(a, `${B}/namespaces/shop/deployments/frontend?${q}`)).body.window;
    assert.equal(await windowOf("window=5m"), "5m0s");
    assert.equal(await windowOf("t=1h30m"), "1h30m0s");
    assert.equal(await windowOf("t=1.5m"), "1m30s");
    assert.equal(await windowOf("t=90000ms"), "1m30s");
    assert.equal(await windowOf("t=1h0m0s"), "1h0m0s");
    assert.equal(await windowOf("window=90s&t=1.5m"), "1m30s", "the same duration, written twice, is no disagreement");
    assert.equal(await windowOf("window=5m&t="), "5m0s", "an empty t is no t");
    assert.equal(await windowOf(""), "30s");
    assert.equal(await windowOf("t="), "30s", "an empty t is the default window");
    const both = await get(a, `${B}/namespaces/shop/deployments/frontend?window=1m&t=2m`);
    assert.equal(both.code, 400);
    const twice = await get(a, `${B}/namespaces/shop/deployments/frontend?window=1m&window=1m`);
    assert.equal(twice.code, 400);
    await a.close();
  });

  for (const [what, url, field] of [
    ["bad window", `${B}/namespaces/shop/deployments/frontend?window=banana`, "window"],
    ["bad t", `${B}/namespaces/shop/deployments/frontend?t=30`, "t"],
    ["t in fractional seconds", `${B}/namespaces/shop/deployments/frontend?t=1.5s`, "t"],
    ["t of 30 days and a second", `${B}/namespaces/shop/deployments/frontend?t=720h1s`, "t"],
    ["negative t", `${B}/namespaces/shop/deployments/frontend?t=-5m`, "t"],
    ["empty window", `${B}/namespaces/shop/deployments?window=`, "window"],
    ["bad at", `${B}/namespaces/shop/deployments?at=yesterday`, "at"],
    ["future at", `${B}/namespaces/shop/deployments?at=2099-01-01T00:00:00Z`, "at"],
    ["name with a quote", `${B}/namespaces/shop/deployments/a%22b`, "name"],
    ["name with braces", `${B}/namespaces/shop/deployments/%7Bx%7D`, "name"],
    ["regex name", `${B}/namespaces/shop/deployments/.*`, "name"],
    ["300 character name", `${B}/namespaces/shop/deployments/${"a".repeat(300)}`, "name"],
    ["non-ASCII name", `${B}/namespaces/shop/deployments/caf%C3%A9`, "name"],
    ["bad namespace", `${B}/namespaces/Shop/deployments`, "namespace"],
    ["bad selector", `${B}/namespaces/shop/deployments?labelSelector=a%20in%20(`, "labelSelector"],
  ] as const) {
    it(`${what} → 400 Status, and nothing asked of the service's data`, async () => {
      const { app: a, scopes } = await app();
      const r = await get(a, url);
      assert.equal(r.code, 400, r.raw);
      assert.equal(r.body.kind, "Status");
      assert.equal(r.body.apiVersion, "v1");
      assert.equal(r.body.status, "Failure");
      assert.equal(r.body.reason, "BadRequest");
      assert.equal(r.body.code, 400);
      assert.equal(r.body.details.causes[0].field, field);
      assert.deepEqual(Object.keys(r.body), ["kind", "apiVersion", "metadata", "status", "message", "reason", "details", "code"]);
      assert.ok(
        !scopes.some((s) => s.calls.some((c) => c.startsWith("metrics ") || c.startsWith("edges "))),
        JSON.stringify(scopes.map((s) => s.calls)),
      );
      await a.close();
    });
  }

  for (const url of [
    `${B}/namespaces/shop/widgets`,
    `${B}/widgets`,
    `${B}/namespaces/shop/deployments/nope`,
    `${B}/namespaces/shop/deployments/nope/edges`,
    `${B}/deployments/frontend`,
    `${B}/namespaces/shop/namespaces`,
    `${B}/namespaces/shop/deployments/frontend/other`,
    `${B}/namespaces/shop/deployments/frontend/edges/x`,
    "/apis/other.group/v1",
    "/apis/metrics.smi-spec.io/v1beta1/pods",
    `${B}//pods`,
  ]) {
    it(`${url} → 404 Status`, async () => {
      const { app: a } = await app();
      const r = await get(a, url);
      assert.equal(r.code, 404, r.raw);
      assert.equal(r.body.kind, "Status");
      assert.equal(r.body.reason, "NotFound");
      await a.close();
    });
  }

  it(
    "edges of a valid name nobody has seen: 200 and an empty list without a cluster, 404 where a cluster says it does " + "not exist",
    async () => {
      const url = `${B}/namespaces/shop/deployments/ghost/edges`;
      const { app: noCluster } = await app(data({ inventorySource: "backend" }));
      const r = await get(noCluster, url);
      assert.equal(r.code, 200, r.raw);
      assert.equal(
        r.raw,
        '{"kind":"TrafficMetricsList","apiVersion":"metrics.smi-spec.io/v1alpha1",' +
          '"metadata":{"selfLink":"/apis/metrics.smi-spec.io/v1alpha1/namespaces/shop/deployments/ghost/edges"},' +
          '"resource":{"kind":"Deployment","namespace":"shop","name":"ghost"},"items":[]}',
      );
      // A get of the same unseen resource stays 404 (the reference answered 500), and a bad name stays 400.
      assert.equal((await get(noCluster, `${B}/namespaces/shop/deployments/ghost`)).code, 404);
      assert.equal((await get(noCluster, `${B}/namespaces/shop/deployments/Gh.ost/edges`)).code, 400);
      await noCluster.close();
      const { app: cluster } = await app(data({ inventorySource: "kubernetes" }));
      assert.equal((await get(cluster, url)).code, 404);
      await cluster.close();
    },
  );

  for (const url of [
    `${B}/namespaces/shop/deployments/%ZZ`,
    `${B}/namespaces/shop/deployments/%`,
    `${B}/namespaces/shop/deployments/caf%C3`,
    `${B}/namespaces/%E2%82%/pods`,
  ]) {
    it(`undecodable path ${url} → 400 Status`, async () => {
      const { app: a, scopes } = await app();
      const r = await get(a, url);
      assert.equal(r.code, 400, r.raw);
      assert.match(r.type, /^application\/json/);
      assert.deepEqual(Object.keys(r.body), ["kind", "apiVersion", "metadata", "status", "message", "reason", "code"]);
      assert.equal(r.body.reason, "BadRequest");
      assert.match(r.body.message, /not a valid request path/);
      assert.equal(scopes.length, 0);
      await a.close();
    });
  }

  it("maps Forbidden, backend failures and unknown errors; never leaks a stack", async () => {
    const cases: Array<[unknown, number, string]> = [
      [new ForbiddenError('user "bob" cannot get deployments in namespace shop'), 403, "Forbidden"],
      [new BackendError("unreachable", "connect ECONNREFUSED 10.0.0.7:9090"), 503, "ServiceUnavailable"],
      [new TypeError("cannot read properties of undefined (secret detail)"), 500, "InternalError"],
    ];
    for (const [fail, code, reason] of cases) {
      const { app: a } = await app(data({ fail }));
      const r = await get(a, `${B}/namespaces/shop/deployments/frontend`);
      assert.equal(r.code, code);
      assert.equal(r.body.reason, reason);
      assert.doesNotMatch(r.raw, /ECONNREFUSED|10\.0\.0\.7|secret detail|at .*\.ts:\d+/);
      await a.close();
    }
  });

  it("is read-only: other methods → 405 Status", async () => {
    const { app: a } = await app();
    const r = await a.inject({ method: "DELETE", url: `${B}/namespaces/shop/deployments/frontend` });
    assert.equal(r.statusCode, 405);
    assert.equal(JSON.parse(r.body).reason, "MethodNotAllowed");
    // Refused before the body is read: a content type nobody parses is still a 405, not a 415.
    const post = await a.inject({
      method: "POST",
      url: `${B}/namespaces/shop/deployments`,
      headers: { "content-type": "application/x-yaml" },
      payload: "a: b",
    });
    assert.equal(post.statusCode, 405);
    assert.equal(JSON.parse(post.body).reason, "MethodNotAllowed");
    await a.close();
  });
});

describe("discovery", () => {
  it("APIResourceList, APIGroup, APIGroupList", async () => {
    const { app: a } = await app();
    const list = await get(a, `${B}`);
    assert.equal(list.raw, (await get(a, `${B}/`)).raw);
    assert.deepEqual(Object.keys(list.body), ["kind", "apiVersion", "groupVersion", "resources"]);
    assert.equal(list.body.groupVersion, "metrics.smi-spec.io/v1alpha1");
    const byName = new Map(list.body.resources.map((r: Json) => [r.name, r]));
    assert.deepEqual(byName.get("namespaces"), {
      name: "namespaces",
      singularName: "namespace",
      namespaced: false,
      kind: "TrafficMetrics",
      verbs: ["get", "list"],
    });
    assert.deepEqual(byName.get("deployments/edges"), {
      name: "deployments/edges",
      singularName: "",
      namespaced: true,
      kind: "TrafficMetrics",
      verbs: ["get"],
    });
    for (const p of ["pods", "deployments", "daemonsets", "statefulsets", "replicasets", "jobs"])
      assert.equal((byName.get(p) as Json).namespaced, true);

    const group = await get(a, "/apis/metrics.smi-spec.io");
    assert.equal(
      group.raw,
      '{"kind":"APIGroup","apiVersion":"v1","name":"metrics.smi-spec.io",' +
        '"versions":[{"groupVersion":"metrics.smi-spec.io/v1alpha1","version":"v1alpha1"}],' +
        '"preferredVersion":{"groupVersion":"metrics.smi-spec.io/v1alpha1","version":"v1alpha1"}}',
    );
    const groups = await get(a, "/apis");
    assert.equal(groups.body.kind, "APIGroupList");
    assert.deepEqual(groups.body.groups[0].name, "metrics.smi-spec.io");
    assert.equal((await get(a, "/apis/")).raw, groups.raw);
    await a.close();
  });

  it("OpenAPI v2 and v3 describe every path shape", async () => {
    const { app: a } = await app();
    const v2 = await get(a, "/openapi/v2");
    assert.equal(v2.body.swagger, "2.0");
    for (const p of [
      `${B}/namespaces/{namespace}/deployments/{name}`,
      `${B}/namespaces/{namespace}/deployments/{name}/edges`,
      `${B}/namespaces/{namespace}/pods`,
      `${B}/jobs`,
      `${B}/namespaces/{name}`,
      `${B}/namespaces/{name}/edges`,
      `${B}/namespaces`,
    ]) {
      assert.ok(v2.body.paths[p]?.get, `v2 lacks ${p}`);
    }
    assert.ok(v2.body.definitions["io.smi-spec.metrics.v1alpha1.TrafficMetrics"]);
    const index = await get(a, "/openapi/v3");
    const url = index.body.paths["apis/metrics.smi-spec.io/v1alpha1"].serverRelativeURL as string;
    assert.match(url, /^\/openapi\/v3\/apis\/metrics\.smi-spec\.io\/v1alpha1\?hash=[0-9A-F]{128}$/);
    const v3 = await get(a, url);
    assert.equal(v3.code, 200);
    assert.equal(v3.body.openapi, "3.0.0");
    assert.ok(v3.body.paths[`${B}/namespaces/{namespace}/statefulsets/{name}/edges`].get);
    // Every $ref resolves.
    const refs = v3.raw.match(/"\$ref":"#\/components\/schemas\/[^"]+"/g) ?? [];
    for (const r of refs) assert.ok(v3.body.components.schemas[r.split("/").pop()!.replace(/"$/, "")], r);
    await a.close();
  });
});
