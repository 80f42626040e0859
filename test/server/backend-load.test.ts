// What the gateway does to its backend under load and behind multi-tenant
// query frontends: tenancy headers on every query (--prometheus-header), and a
// limit on documents executing at once, refused with 503 and Retry-After past it.
// Between the gateway and the real Prometheus sits a loopback proxy that records
// headers and can hold answers back, so "in flight" is a fact, not a race.

import assert from "node:assert/strict";
import { createServer, request as httpRequest, type IncomingHttpHeaders, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { after, before, describe, it } from "node:test";
import { parseServeOptions, UsageError } from "../../src/cli/options.ts";
import type { Gateway } from "../../src/server/gateway.ts";
import { linkerd } from "../../src/demo/traffic/linkerd.ts";
import { HISTORY, REFS, SHOP, topologyModel } from "../fixtures/topology.ts";
import { ResourceMetricsDocument } from "../generated/graphql.ts";
import { startPrometheus, type PrometheusInstance } from "../harness/prometheus.ts";
import { execute, testGateway } from "../support/gateway.ts";

let prometheus: PrometheusInstance;
let proxy: Server;
let proxyUrl: string;
const seen: IncomingHttpHeaders[] = [];
/** While set, answers wait for it. */
let hold: Promise<void> | null = null;

before(async () => {
  prometheus = await startPrometheus({ model: topologyModel(), formats: [linkerd], ...HISTORY });
  const target = new URL(prometheus.url);
  proxy = createServer((req, res) => {
    seen.push(req.headers);
    const upstream = httpRequest(
      { host: target.hostname, port: target.port, path: req.url, method: req.method, headers: req.headers },
      async (answer) => {
        await hold;
        res.writeHead(answer.statusCode ?? 502, answer.headers);
        answer.pipe(res);
      },
    );
    req.pipe(upstream);
  });
  await new Promise<void>((r) => proxy.listen(0, "127.0.0.1", r));
  proxyUrl = `http://127.0.0.1:${(proxy.address() as AddressInfo).port}`;
});

after(async () => {
  await new Promise((r) => proxy?.close(r));
  await prometheus?.stop();
});

describe("tenancy headers", () => {
  // The command line hands repeated flags over as the environment variable holds them, one per line (src/cli.ts).
  it("parses repeatable --prometheus-header flags and the one-per-line environment variable", () => {
    const flags = parseServeOptions({ "prometheus-header": "X-Scope-OrgID: team-a\nAuthorization: Bearer t0k" }, {});
    assert.deepEqual(flags.prometheusHeaders, { "x-scope-orgid": "team-a", authorization: "Bearer t0k" });
    const fromEnv = parseServeOptions({}, { MESHQL_PROMETHEUS_HEADERS: "X-Scope-OrgID: team-a|team-b\nX-Extra: 1\n" });
    assert.deepEqual(fromEnv.prometheusHeaders, { "x-scope-orgid": "team-a|team-b", "x-extra": "1" });
    assert.deepEqual(parseServeOptions({}, {}).prometheusHeaders, {});
    assert.throws(() => parseServeOptions({ "prometheus-header": "no colon" }, {}), UsageError);
    assert.throws(() => parseServeOptions({ "prometheus-header": "A: 1\na: 2" }, {}), UsageError);
    assert.throws(() => parseServeOptions({ "max-concurrent-documents": "-1" }, {}), UsageError);
  });

  it("sends them with every backend query", async () => {
    const gateway = await testGateway(proxyUrl, "linkerd", { prometheusHeaders: { "x-scope-orgid": "team-a" } });
    try {
      seen.length = 0;
      const r = await execute(gateway, ResourceMetricsDocument, {
        kind: "DEPLOYMENT",
        namespace: SHOP,
        name: REFS.catalog.name,
        window: "1m",
      });
      assert.deepEqual(r.errors, []);
      assert.ok(seen.length > 0);
      for (const headers of seen) assert.equal(headers["x-scope-orgid"], "team-a");
    } finally {
      await gateway.close();
    }
  });
});

describe("admission limit", () => {
  let gateway: Gateway;
  before(async () => {
    gateway = await testGateway(proxyUrl, "linkerd", { maxConcurrentDocuments: 1 });
  });
  after(async () => {
    await gateway?.close();
  });

  const doc = (name: string) => execute(gateway, ResourceMetricsDocument, { kind: "DEPLOYMENT", namespace: SHOP, name, window: "1m" });

  it("refuses documents past the limit with SERVICE_UNAVAILABLE / 503 and Retry-After, and admits them again after", async () => {
    let release!: () => void;
    hold = new Promise((r) => (release = r));
    seen.length = 0;
    const first = doc(REFS.catalog.name);
    // The first document is executing once its first backend query is at the proxy.
    while (seen.length === 0) await new Promise((r) => setTimeout(r, 5));

    const refused = await gateway.app.inject({
      method: "POST",
      url: "/graphql",
      headers: { "content-type": "application/json" },
      payload: { query: "{ __typename }" },
    });
    assert.equal(refused.statusCode, 503);
    assert.equal(refused.headers["retry-after"], "1");
    assert.equal((refused.json() as { errors: Array<{ extensions: { code: string } }> }).errors[0]!.extensions.code, "SERVICE_UNAVAILABLE");

    const rest = await gateway.app.inject({
      method: "GET",
      url: `/apis/metrics.smi-spec.io/v1alpha1/namespaces/${SHOP}/deployments/${REFS.cart.name}`,
    });
    assert.equal(rest.statusCode, 503);
    assert.equal(rest.headers["retry-after"], "1");
    assert.deepEqual(
      [(rest.json() as { kind: string }).kind, (rest.json() as { reason: string }).reason],
      ["Status", "ServiceUnavailable"],
    );
    // Probes are never refused.
    assert.equal((await gateway.app.inject({ method: "GET", url: "/livez" })).statusCode, 200);

    hold = null;
    release();
    const done = await first;
    assert.equal(done.status, 200);
    assert.deepEqual(done.errors, []);
    const again = await doc(REFS.cart.name);
    assert.equal(again.status, 200);
    assert.deepEqual(again.errors, []);
  });
});
