// Backend faults: down, slow, or answering garbage. Each gets a typed error
// (BACKEND_UNAVAILABLE in GraphQL, 503 Status in REST); the server stays up and
// answers correctly again once the backend is back. The real Prometheus sits
// behind a loopback TCP relay that the test switches off and on.

import assert from "node:assert/strict";
import { createServer as createHttpServer, type Server as HttpServer } from "node:http";
import { createServer, connect, type Server, type Socket } from "node:net";
import { after, before, describe, it } from "node:test";
import type { Gateway } from "../../src/server/gateway.ts";
import { expectedInbound } from "../fixtures/expected.ts";
import { linkerd } from "../../src/demo/traffic/linkerd.ts";
import { HISTORY, REFS, SHOP, T0, topologyModel } from "../fixtures/topology.ts";
import { ResourceMetricsDocument } from "../generated/graphql.ts";
import { freePort, startPrometheus, type PrometheusInstance } from "../harness/prometheus.ts";
import { execute, testGateway } from "../support/gateway.ts";

/** Forwards a loopback port to the real Prometheus while on; refuses connections while off. */
class Relay {
  private server: Server | null = null;
  private readonly sockets = new Set<Socket>();
  constructor(
    readonly port: number,
    private readonly target: number,
  ) {}

  async on(): Promise<void> {
    const server = createServer((client) => {
      const upstream = connect(this.target, "127.0.0.1");
      for (const s of [client, upstream]) {
        this.sockets.add(s);
        s.on("close", () => this.sockets.delete(s));
        s.on("error", () => s.destroy());
      }
      client.pipe(upstream).pipe(client);
    });
    await new Promise<void>((resolve) => server.listen(this.port, "127.0.0.1", resolve));
    this.server = server;
  }

  async off(): Promise<void> {
    for (const s of this.sockets) s.destroy();
    await new Promise<void>((resolve) => (this.server ? this.server.close(() => resolve()) : resolve()));
    this.server = null;
  }
}

/** A backend that answers every request with the given handler: slow, or garbage. */
async function fakeBackend(handler: Parameters<typeof createHttpServer>[1]): Promise<{ url: string; server: HttpServer }> {
  const server = createHttpServer(handler);
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const address = server.address();
  return { url: `http://127.0.0.1:${typeof address === "object" && address ? address.port : 0}`, server };
}

const model = topologyModel();
const vars = { kind: "DEPLOYMENT" as const, namespace: SHOP, name: "catalog", window: "1m" };
let prometheus: PrometheusInstance;
let relay: Relay;
let gateway: Gateway;

before(async () => {
  prometheus = await startPrometheus({ model, formats: [linkerd], ...HISTORY });
  relay = new Relay(await freePort(), Number(new URL(prometheus.url).port));
  await relay.on();
  gateway = await testGateway(`http://127.0.0.1:${relay.port}`, "linkerd", { queryTimeoutMs: 1000 });
});

after(async () => {
  await gateway?.close();
  await relay?.off();
  await prometheus?.stop();
});

describe("backend faults", () => {
  it("answers BACKEND_UNAVAILABLE and 503 while Prometheus is down, and recovers when it returns", async () => {
    const up = await execute(gateway, ResourceMetricsDocument, vars);
    assert.equal(up.data?.resource?.metrics?.requestCount, expectedInbound(model, REFS.catalog, T0 - 60, T0).total);

    await relay.off();
    const down = await execute(gateway, ResourceMetricsDocument, vars);
    assert.equal(down.errors[0]?.extensions?.code, "BACKEND_UNAVAILABLE");
    assert.equal(down.errors[0]?.extensions?.backendError, "unreachable");
    assert.doesNotMatch(down.errors[0]!.message, /127\.0\.0\.1/, "the backend's address is not shown to clients");
    const rest = await gateway.app.inject({ url: "/apis/metrics.smi-spec.io/v1alpha1/namespaces/shop/deployments/catalog" });
    assert.equal(rest.statusCode, 503);
    assert.equal(rest.json().reason, "ServiceUnavailable");
    assert.equal((await gateway.app.inject({ url: "/readyz" })).statusCode, 503);
    assert.equal((await gateway.app.inject({ url: "/healthz" })).statusCode, 200, "alive while the backend is down");

    await relay.on();
    const back = await execute(gateway, ResourceMetricsDocument, vars);
    assert.deepEqual(back.errors, []);
    assert.equal(back.data?.resource?.metrics?.requestCount, up.data?.resource?.metrics?.requestCount);
    assert.equal((await gateway.app.inject({ url: "/readyz" })).statusCode, 200);
  });

  const faults: Array<[string, Parameters<typeof createHttpServer>[1], string]> = [
    ["slower than the query timeout", (_req, res) => void setTimeout(() => res.end("{}"), 3000), "timeout"],
    ["not JSON", (_req, res) => res.writeHead(200, { "content-type": "application/json" }).end("<html>proxy error</html>"), "bad_response"],
    ["a 502 from a proxy", (_req, res) => res.writeHead(502).end("bad gateway"), "bad_response"],
    [
      "the wrong result type",
      (_req, res) => res.writeHead(200).end(JSON.stringify({ status: "success", data: { resultType: "matrix", result: [] } })),
      "bad_response",
    ],
    [
      "a sample that is not a number",
      (_req, res) =>
        res
          .writeHead(200)
          .end(JSON.stringify({ status: "success", data: { resultType: "vector", result: [{ metric: {}, value: [1, "many"] }] } })),
      "bad_response",
    ],
  ];
  for (const [what, handler, backendError] of faults) {
    it(`answers BACKEND_UNAVAILABLE (${backendError}) for a backend ${what}, and stays up`, async () => {
      const backend = await fakeBackend(handler);
      const faulty = await testGateway(backend.url, "linkerd", { queryTimeoutMs: 500 });
      try {
        const result = await execute(faulty, ResourceMetricsDocument, vars);
        assert.equal(result.status, 200);
        assert.equal(result.errors[0]?.extensions?.code, "BACKEND_UNAVAILABLE", JSON.stringify(result.errors));
        assert.equal(result.errors[0]?.extensions?.backendError, backendError);
        assert.equal((await faulty.app.inject({ url: "/healthz" })).statusCode, 200);
      } finally {
        await faulty.close();
        backend.server.closeAllConnections();
        await new Promise((resolve) => backend.server.close(resolve));
      }
    });
  }
});
