// What the backend answers, beyond down and slow (faults.test.ts): answers too
// big to hold, a backend that is misconfigured rather than out, and a backend
// that holds another mesh's data. Loopback servers play the broken backends;
// the wrong-mesh case runs against a real Prometheus.

import assert from "node:assert/strict";
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import { after, before, describe, it } from "node:test";
import { ByteBudget } from "../../src/prometheus/body.ts";
import { PrometheusClient } from "../../src/prometheus/client.ts";
import { BackendError } from "../../src/prometheus/errors.ts";
import { linkerd } from "../../src/demo/traffic/linkerd.ts";
import { HISTORY, SHOP, topologyModel } from "../fixtures/topology.ts";
import { ResourceMetricsDocument } from "../generated/graphql.ts";
import { startPrometheus, type PrometheusInstance } from "../harness/prometheus.ts";
import { execute, testGateway } from "../support/gateway.ts";
import { captureLog, LEVEL } from "../support/log-capture.ts";

type Handler = (req: IncomingMessage, res: ServerResponse) => void;

async function withBackend<T>(handler: Handler, use: (url: string) => Promise<T>): Promise<T> {
  const server: Server = createServer(handler);
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const address = server.address();
  try {
    return await use(`http://127.0.0.1:${typeof address === "object" && address ? address.port : 0}`);
  } finally {
    server.closeAllConnections();
    await new Promise((resolve) => server.close(resolve));
  }
}

const vars = { kind: "DEPLOYMENT" as const, namespace: SHOP, name: "catalog", window: "1m" };
const MiB = 1024 * 1024;

describe("backend answers too big to hold", () => {
  it("stops reading an endless answer past --max-backend-response with bad_response", async () => {
    let written = 0;
    const endless: Handler = (_req, res) => {
      res.writeHead(200, { "content-type": "application/json" });
      const chunk = Buffer.alloc(64 * 1024, "x");
      const pump = (): void => {
        while (!res.destroyed && res.write(chunk)) written += chunk.length;
        if (!res.destroyed) res.once("drain", pump);
      };
      pump();
    };
    await withBackend(endless, async (url) => {
      const client = new PrometheusClient({ baseUrl: url, timeoutMs: 10_000, maxResponseBytes: MiB });
      const error = await client.query("vector(1)", new Date()).then(
        () => null,
        (e: unknown) => e,
      );
      assert.ok(error instanceof BackendError, String(error));
      assert.equal(error.kind, "bad_response");
      assert.match(error.message, /larger than 1048576 bytes \(--max-backend-response\)/);
      await new Promise((resolve) => setTimeout(resolve, 200));
      const sent = written;
      await new Promise((resolve) => setTimeout(resolve, 300));
      assert.equal(written, sent, "the backend's connection was closed: it sends no more");
      assert.ok(sent < 16 * MiB, `the backend got to send ${sent} bytes`);
    });
  });

  it("refuses an answer that declares more than the limit without reading it", async () => {
    const huge: Handler = (_req, res) => {
      res.writeHead(200, { "content-type": "application/json", "content-length": String(50 * MiB) });
      res.write("{");
    };
    await withBackend(huge, async (url) => {
      const gateway = await testGateway(url, "linkerd", { maxBackendResponseBytes: MiB, queryTimeoutMs: 5000 });
      try {
        const r = await execute(gateway, ResourceMetricsDocument, vars);
        assert.equal(r.errors[0]?.extensions?.code, "BACKEND_UNAVAILABLE");
        assert.equal(r.errors[0]?.extensions?.backendError, "bad_response");
      } finally {
        await gateway.close();
      }
    });
  });

  it("bounds the bytes of all answers being read at once", async () => {
    // Each answer is a valid 600 KiB Prometheus vector, sent in slow pieces so that four overlap.
    const sample = { metric: { pad: "p".repeat(1000) }, value: [1, "1"] };
    const body = Buffer.from(JSON.stringify({ status: "success", data: { resultType: "vector", result: Array(600).fill(sample) } }));
    const slow: Handler = (_req, res) => {
      res.writeHead(200, { "content-type": "application/json" });
      let offset = 0;
      const step = (): void => {
        if (res.destroyed) return;
        res.write(body.subarray(offset, offset + 32 * 1024));
        offset += 32 * 1024;
        if (offset >= body.length) res.end();
        else setTimeout(step, 10);
      };
      step();
    };
    await withBackend(slow, async (url) => {
      const budget = new ByteBudget(MiB);
      let peak = 0;
      const watch = setInterval(() => (peak = Math.max(peak, budget.inUse)), 1);
      const client = new PrometheusClient({ baseUrl: url, inFlight: budget });
      const results = await Promise.allSettled(Array.from({ length: 4 }, (_, i) => client.query(`vector(${i})`, new Date())));
      clearInterval(watch);
      const refused = results.filter((r) => r.status === "rejected");
      assert.ok(refused.length >= 1, "some answer was refused");
      assert.ok(
        results.some((r) => r.status === "fulfilled" && r.value.length === 600),
        "some answer was read whole",
      );
      for (const r of refused)
        assert.match(String((r as PromiseRejectedResult).reason), /passed 1048576 bytes \(--max-backend-in-flight\)/);
      assert.ok(peak <= MiB, `peak ${peak}`);
      assert.equal(budget.inUse, 0, "everything was given back");
    });
  });
});

describe("backend misconfiguration versus outage", () => {
  const misconfigured: Array<[string, Handler, RegExp]> = [
    ["401", (_req, res) => res.writeHead(401, { "www-authenticate": "Basic" }).end("unauthorized"), /HTTP 401 .*authentication/],
    ["403", (_req, res) => res.writeHead(403).end("forbidden"), /HTTP 403 .*forbidden/],
    ["404", (_req, res) => res.writeHead(404).end("404 page not found"), /HTTP 404 .*--prometheus-url/],
    [
      "an HTML page with 200",
      (_req, res) => res.writeHead(200, { "content-type": "text/html" }).end("<html>Grafana</html>"),
      /HTTP 200 .*text\/html, which is not a Prometheus API/,
    ],
    [
      "JSON that is not Prometheus'",
      (_req, res) => res.writeHead(200, { "content-type": "application/json" }).end('{"items":[]}'),
      /not a Prometheus API/,
    ],
  ];
  for (const [what, handler, pattern] of misconfigured) {
    it(`answers BACKEND_MISCONFIGURED naming the URL (not its credentials) and status for ${what}`, async () => {
      await withBackend(handler, async (url) => {
        const withCredentials = `${url.replace("http://", "http://meshql:s3cret@")}/prom?token=t0ken`;
        const gateway = await testGateway(withCredentials, "linkerd");
        try {
          const r = await execute(gateway, ResourceMetricsDocument, vars);
          const error = r.errors[0];
          assert.equal(error?.extensions?.code, "BACKEND_MISCONFIGURED", JSON.stringify(r.errors));
          assert.equal(error?.extensions?.backendError, "misconfigured");
          assert.match(error!.message, pattern);
          assert.ok(error!.message.includes(`${url}/prom`), error!.message);
          assert.doesNotMatch(error!.message, /s3cret|meshql:|t0ken|try again/);
          const rest = await gateway.app.inject({ url: "/apis/metrics.smi-spec.io/v1alpha1/namespaces/shop/deployments/catalog" });
          assert.equal(rest.statusCode, 500);
          assert.equal(rest.json().reason, "InternalError");
          assert.equal(rest.json().details.retryAfterSeconds, undefined, "no retry: nothing changes until the configuration does");
          const ready = await gateway.app.inject({ url: "/readyz?verbose" });
          assert.equal(ready.statusCode, 503);
          assert.match(ready.body, /\[-\]backend failed: metrics backend misconfigured/);
        } finally {
          await gateway.close();
        }
      });
    });
  }

  it("sends a URL's credentials as basic authentication", async () => {
    let authorization: string | undefined;
    const handler: Handler = (req, res) => {
      authorization = req.headers.authorization;
      res.writeHead(200).end(JSON.stringify({ status: "success", data: { resultType: "vector", result: [] } }));
    };
    await withBackend(handler, async (url) => {
      await new PrometheusClient({ baseUrl: url.replace("http://", "http://meshql:s3cret@") }).query("vector(1)", new Date());
      assert.equal(authorization, `Basic ${Buffer.from("meshql:s3cret").toString("base64")}`);
    });
  });

  for (const [what, status] of [
    ["a 502 from a proxy", 502],
    ["a 503", 503],
  ] as const) {
    it(`keeps ${what} an outage: BACKEND_UNAVAILABLE, try again later, 503 with Retry-After`, async () => {
      await withBackend(
        (_req, res) => res.writeHead(status).end("<html>bad gateway</html>"),
        async (url) => {
          const gateway = await testGateway(url, "linkerd");
          try {
            const r = await execute(gateway, ResourceMetricsDocument, vars);
            assert.equal(r.errors[0]?.extensions?.code, "BACKEND_UNAVAILABLE");
            assert.equal(r.errors[0]?.extensions?.backendError, "bad_response");
            assert.match(r.errors[0]!.message, /try again later/);
            const rest = await gateway.app.inject({ url: "/apis/metrics.smi-spec.io/v1alpha1/namespaces/shop/deployments/catalog" });
            assert.equal(rest.statusCode, 503);
            assert.equal(rest.json().details.retryAfterSeconds, 1);
          } finally {
            await gateway.close();
          }
        },
      );
    });
  }
});

describe("the wrong mesh", () => {
  let prometheus: PrometheusInstance;
  before(async () => {
    prometheus = await startPrometheus({ model: topologyModel(), formats: [linkerd], ...HISTORY });
  });
  after(async () => {
    await prometheus?.stop();
  });

  it("warns at start-up and in /readyz?verbose when the chosen mesh has no series, naming what is there", async () => {
    const log = captureLog();
    const gateway = await testGateway(prometheus.url, "istio", { logger: log.logger });
    try {
      assert.ok(
        log
          .lines()
          .some(
            (l) =>
              l.level === LEVEL.warn &&
              l.msg.includes(
                "warning: the backend has no istio series in the last 10 minutes; " +
                  "it has linkerd series (start with --mesh linkerd or --mesh auto)",
              ),
          ),
        log.text(),
      );
      const ready = await gateway.app.inject({ url: "/readyz?verbose" });
      assert.equal(ready.statusCode, 200, "an idle or wrong mesh is not an outage");
      assert.match(ready.body, /\[\+\]mesh ok: istio \(chosen by --mesh\); warning: the backend has no istio series/);
    } finally {
      await gateway.close();
    }
  });

  it("says nothing when the mesh's series are there, and names what --mesh auto found", async () => {
    const log = captureLog();
    const chosen = await testGateway(prometheus.url, "linkerd", { logger: log.logger });
    const auto = await testGateway(prometheus.url, "linkerd", { mesh: "auto", logger: log.logger });
    try {
      const lines = log.lines().map((l) => l.msg);
      assert.ok(!lines.some((l) => l.includes("warning")), log.text());
      assert.ok(lines.includes("mesh linkerd (auto: detected linkerd)"), log.text());
      assert.doesNotMatch((await chosen.app.inject({ url: "/readyz?verbose" })).body, /warning/);
    } finally {
      await chosen.close();
      await auto.close();
    }
  });
});
