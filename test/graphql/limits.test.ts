// Bounded work per document: depth and cost limits refuse a document before
// any backend query, while /healthz keeps answering; `at` outside a sane range
// is refused, and `at` before the backend's data reads as "no data".

import assert from "node:assert/strict";
import { getIntrospectionQuery } from "graphql";
import { after, before, describe, it } from "node:test";
import { windowOfSeconds } from "../../src/domain/window.ts";
import type { Gateway } from "../../src/server/gateway.ts";
import { linkerd } from "../../src/demo/traffic/linkerd.ts";
import { HISTORY, SHOP, T0, topologyModel } from "../fixtures/topology.ts";
import { ResourceMetricsDocument } from "../generated/graphql.ts";
import { startPrometheus, type PrometheusInstance } from "../harness/prometheus.ts";
import { execute, testGateway } from "../support/gateway.ts";

let prometheus: PrometheusInstance;
let gateway: Gateway;
let base: string;

before(async () => {
  prometheus = await startPrometheus({ model: topologyModel(), formats: [linkerd], ...HISTORY });
  gateway = await testGateway(prometheus.url, "linkerd", { maxAtAge: windowOfSeconds(7 * 86400) });
  base = await gateway.app.listen({ host: "127.0.0.1", port: 0 });
});

after(async () => {
  await gateway?.close();
  await prometheus?.stop();
});

async function post(
  query: string,
  variables: Record<string, unknown> = {},
): Promise<{ status: number; body: { data?: unknown; errors?: Array<{ message: string; extensions?: Record<string, unknown> }> } }> {
  const response = await fetch(`${base}/graphql`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ query, variables }),
  });
  return { status: response.status, body: (await response.json()) as never };
}

/** The document of the report: 20 levels of edges { peer { ... } } under every deployment. */
function nested(levels: number, leaf = "name"): string {
  let inner = leaf;
  for (let i = 0; i < levels; i++) inner = `edges(window: "1m") { peer { name ${inner} } }`;
  return `{ resources(kind: DEPLOYMENT) { name ${inner} } }`;
}

describe("document limits", () => {
  it("refuses 20 levels of edges before execution, while /healthz keeps answering within 1 s", async () => {
    prometheus.resetQueries();
    let polls = 0;
    let slow = 0;
    let done = false;
    // Polls until the document is answered, and at least three times.
    const poller = (async () => {
      while (!done || polls < 3) {
        const started = performance.now();
        const r = await fetch(`${base}/healthz`);
        assert.equal(r.status, 200);
        if (performance.now() - started > 1000) slow++;
        polls++;
        await new Promise((resolve) => setTimeout(resolve, 20));
      }
    })();
    const deep = await post(nested(20));
    done = true;
    await poller;
    assert.equal(deep.status, 400);
    assert.equal(deep.body.errors?.[0]?.extensions?.code, "BAD_USER_INPUT");
    assert.equal(deep.body.errors?.[0]?.extensions?.limit, "maxDepth");
    assert.match(deep.body.errors![0]!.message, /limit of 10 \(--max-query-depth\)/);
    assert.equal(deep.body.data, undefined);
    assert.deepEqual(prometheus.queries(), [], "nothing reached the backend");
    assert.ok(polls >= 3, `polled /healthz ${polls} times`);
    assert.equal(slow, 0, `${slow} of ${polls} /healthz answers took more than 1 s`);
  });

  it("refuses a shallow document whose list fan-out costs too much, naming the cost limit", async () => {
    // Depth 8, but three levels of lists under every deployment: 10 x 10 x 10 x 10 items estimated.
    const aliases = Array.from({ length: 12 }, (_, i) => `a${i}: edges { peer { edges { peer { name metrics { requestCount } } } } }`).join(
      " ",
    );
    const r = await post(`{ resources(kind: DEPLOYMENT) { ${aliases} } }`);
    assert.equal(r.status, 400);
    assert.equal(r.body.errors?.[0]?.extensions?.code, "BAD_USER_INPUT");
    assert.equal(r.body.errors?.[0]?.extensions?.limit, "maxCost");
    assert.match(r.body.errors![0]!.message, /estimated cost is \d+, more than the limit of 10000 \(--max-query-cost\)/);
  });

  it("answers the documents people send: the console's overview, two levels of edges, and a full introspection", async () => {
    const overview = await post(
      `{ resources(kind: DEPLOYMENT, namespace: "shop") { name metrics(window: "1m") { requestsPerSecond successRate latency { ` +
        `p50 p99 } } edges(window: "1m") { direction peer { name } metrics { requestCount } } } }`,
    );
    assert.equal(overview.status, 200, JSON.stringify(overview.body.errors));
    assert.ok(((overview.body.data as { resources: unknown[] }).resources.length ?? 0) > 0);
    const twoLevels = await post(nested(2, 'metrics(window: "1m") { requestCount }'));
    assert.equal(twoLevels.status, 200, JSON.stringify(twoLevels.body.errors));
    const introspection = await post(
      getIntrospectionQuery({ descriptions: true, specifiedByUrl: true, directiveIsRepeatable: true, inputValueDeprecation: true }),
    );
    assert.equal(introspection.status, 200, JSON.stringify(introspection.body.errors));
  });

  it("takes its limits from the gateway's configuration", async () => {
    const strict = await testGateway(prometheus.url, "linkerd", { documentLimits: { maxDepth: 2, maxCost: 10_000 } });
    try {
      const r = await strict.app.inject({
        method: "POST",
        url: "/graphql",
        payload: { query: `{ resources(kind: NAMESPACE) { name metrics { requestCount } } }` },
      });
      assert.equal(r.json().errors[0].extensions.limit, "maxDepth");
      assert.match(r.json().errors[0].message, /nested 3 levels deep, more than the limit of 2/);
    } finally {
      await strict.close();
    }
  });
});

describe("`at` range", () => {
  const vars = { kind: "DEPLOYMENT" as const, namespace: SHOP, name: "catalog", window: "1m" };

  for (const [what, at, pattern] of [
    ["year 1", "0001-01-01T00:00:00Z", /before the Unix epoch/],
    ["a day before the Unix epoch", "1969-12-31T00:00:00Z", /before the Unix epoch/],
    ["older than --max-at-age", new Date((T0 - 8 * 86400) * 1000).toISOString(), /more than 7d ago, the server's --max-at-age/],
    ["in the future", new Date((T0 + 3600) * 1000).toISOString(), /in the future/],
  ] as const) {
    it(`refuses ${what} with BAD_USER_INPUT, and no metrics query reaches the backend`, async () => {
      prometheus.resetQueries();
      const r = await execute(gateway, ResourceMetricsDocument, { ...vars, at });
      assert.equal(r.errors[0]?.extensions?.code, "BAD_USER_INPUT", JSON.stringify(r.errors));
      assert.equal(r.errors[0]?.extensions?.argument, "at");
      assert.match(r.errors[0]!.message, pattern);
      // Only the lookup of the resource itself, which does not depend on `at`.
      assert.deepEqual(
        prometheus.queries().filter((q) => !q.includes("present_over_time")),
        [],
      );
    });
  }

  it("refuses the same range in SMI's `at` with a 400 Status", async () => {
    const r = await gateway.app.inject({
      url: "/apis/metrics.smi-spec.io/v1alpha1/namespaces/shop/deployments/catalog?at=0001-01-01T00:00:00Z",
    });
    assert.equal(r.statusCode, 400);
    assert.match(r.json().message, /before the Unix epoch/);
  });

  it("answers 'no data' (zero counts, null rates and latency, as for idle) at a time before the backend's data", async () => {
    const r = await execute(gateway, ResourceMetricsDocument, { ...vars, at: new Date((T0 - 86400) * 1000).toISOString() });
    assert.deepEqual(r.errors, []);
    const m = r.data?.resource?.metrics;
    assert.equal(m?.requestCount, 0);
    assert.equal(m?.successCount, 0);
    assert.equal(m?.failureCount, 0);
    assert.equal(m?.successRate, null);
    assert.deepEqual(m?.latency, { p50: null, p90: null, p95: null, p99: null });
  });
});
