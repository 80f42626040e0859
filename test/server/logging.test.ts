// What operators read: one JSON line per request, and the errors clients only
// see masked, with their stack and the request's id. The internal error is
// provoked by an inventory that throws (a deliberate fault, not a stand-in for
// a working part); the backend is never asked in these tests.

import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { windowOfSeconds } from "../../src/domain/window.ts";
import type { Gateway } from "../../src/server/gateway.ts";
import { createGateway } from "../../src/server/gateway.ts";
import type { Inventory } from "../../src/service/inventory.ts";
import { captureLog, LEVEL, type CapturedLog, type LogLine } from "../support/log-capture.ts";

const broken: Inventory = {
  source: "kubernetes",
  list: () => {
    throw new TypeError("inventory bug in list");
  },
  get: () => {
    throw new TypeError("inventory bug in get");
  },
};

let log: CapturedLog;
let gateway: Gateway;

async function start(
  level: "info" | "warn" = "info",
  prometheusUrl = "http://127.0.0.1:9",
): Promise<{ gateway: Gateway; log: CapturedLog }> {
  const log = captureLog(level);
  const gateway = await createGateway({
    mesh: "linkerd",
    // Nothing listens there: the backend fails every query it is asked.
    prometheusUrl,
    defaultWindow: windowOfSeconds(60),
    scrapeInterval: windowOfSeconds(10),
    seenLookback: windowOfSeconds(3600),
    queryTimeoutMs: 1000,
    cacheTtlMs: 0,
    processMetrics: false,
    inventory: broken,
    logger: log.logger,
  });
  return { gateway, log };
}

before(async () => {
  ({ gateway, log } = await start());
});

after(async () => {
  await gateway?.close();
});

const requestLines = (lines: LogLine[]) => lines.filter((l) => l.msg === "request");
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

describe("logs", () => {
  it("writes one line per request: method, route, path, status, duration and request id, nothing else", async () => {
    const before = log.lines().length;
    await gateway.app.inject({ url: "/healthz?verbose" });
    await gateway.app.inject({ url: "/nowhere" });
    const lines = requestLines(log.lines().slice(before));
    assert.equal(lines.length, 2, "one line each, not fastify's two");
    const [health, missing] = lines as [LogLine, LogLine];
    assert.deepEqual(Object.keys(health).sort(), [
      "durationMs",
      "level",
      "method",
      "msg",
      "path",
      "reqId",
      "route",
      "service",
      "status",
      "time",
    ]);
    assert.deepEqual(
      { method: health.method, route: health.route, path: health.path, status: health.status, level: health.level },
      {
        method: "GET",
        route: "/healthz",
        path: "/healthz",
        status: 200,
        level: LEVEL.info,
      },
    );
    assert.equal(typeof health.durationMs, "number");
    assert.match(String(health.reqId), UUID);
    assert.notEqual(health.reqId, missing.reqId);
    assert.deepEqual([missing.route, missing.path, missing.status], ["unmatched", "/nowhere", 404]);
  });

  it("logs a masked GraphQL error with its stack and its request's id; the client sees only the code", async () => {
    const before = log.lines().length;
    const response = await gateway.app.inject({
      method: "POST",
      url: "/graphql",
      headers: { "content-type": "application/json" },
      payload: { query: `{ resource(kind: DEPLOYMENT, namespace: "shop", name: "catalog") { name } }` },
    });
    const body = response.json() as { errors: Array<{ message: string; extensions: { code: string } }> };
    assert.equal(body.errors[0]?.extensions.code, "INTERNAL_SERVER_ERROR");
    assert.doesNotMatch(response.body, /inventory bug/);

    const lines = log.lines().slice(before);
    const masked = lines.find((l) => l.msg === "internal error, masked in the GraphQL answer");
    assert.ok(masked, JSON.stringify(lines));
    assert.equal(masked.level, LEVEL.error);
    assert.equal(masked.path, "resource");
    const err = masked.err as { type: string; message: string; stack: string };
    assert.equal(err.type, "TypeError");
    assert.equal(err.message, "inventory bug in get");
    assert.match(err.stack, /at .*\(?.*\.ts:\d+:\d+\)?/, "the stack names the code");
    assert.equal(masked.reqId, requestLines(lines)[0]?.reqId, "same request id as the request's line");
  });

  it("logs a masked SMI error with its stack; the client gets a 500 Status", async () => {
    const before = log.lines().length;
    const response = await gateway.app.inject({ url: "/apis/metrics.smi-spec.io/v1alpha1/namespaces/shop/deployments/catalog" });
    assert.equal(response.statusCode, 500);
    assert.equal(response.json().reason, "InternalError");
    assert.doesNotMatch(response.body, /inventory bug/);

    const lines = log.lines().slice(before);
    const masked = lines.find((l) => l.msg === "internal error, masked in the SMI answer");
    assert.ok(masked, JSON.stringify(lines));
    assert.equal(masked.level, LEVEL.error);
    assert.match((masked.err as { stack: string }).stack, /TypeError: inventory bug in get\n\s+at /);
    const request = requestLines(lines)[0]!;
    assert.deepEqual([request.status, request.level, request.reqId], [500, LEVEL.error, masked.reqId]);
  });

  it("never writes the Authorization header or a bearer token", async () => {
    const token = "eyJhbGciOiJSUzI1NiJ9.never-log-me.sig";
    const response = await gateway.app.inject({
      method: "POST",
      url: "/graphql?x=1",
      headers: { "content-type": "application/json", authorization: `Bearer ${token}` },
      payload: { query: "{ __typename }" },
    });
    // Without a cluster nobody checks it (test/server/cluster.test.ts has the TokenReview path).
    assert.equal(response.statusCode, 200);
    assert.ok(requestLines(log.lines()).some((l) => l.method === "POST" && l.path === "/graphql"));
    assert.doesNotMatch(log.text(), /never-log-me|Bearer|authorization/i);
  });

  it("logs a failed backend query without the credentials of the backend's URL", async () => {
    const withPassword = await start("info", "http://meshql:hunter2@127.0.0.1:9/prom/?tenant=t1");
    try {
      const response = await withPassword.gateway.app.inject({
        url: "/apis/metrics.smi-spec.io/v1alpha1/namespaces/shop/deployments?window=1m",
      });
      assert.equal(response.statusCode, 503);
      const failed = withPassword.log.lines().filter((l) => l.event === "backend_query_failed");
      assert.ok(failed.length > 0);
      for (const line of failed) {
        assert.equal(line.kind, "unreachable");
        assert.equal(line.httpStatus, undefined, "no HTTP answer came");
        assert.equal(line.url, "http://127.0.0.1:9/prom/");
        // The request's list query, or the start-up check that the mesh's series are there.
        assert.match(String(line.promql), /^(group by \(namespace, deployment\)|count\(present_over_time)/);
        assert.ok(String(line.backendError).length > 0);
      }
      assert.doesNotMatch(withPassword.log.text(), /hunter2|tenant/);
    } finally {
      await withPassword.gateway.close();
    }
  });

  it("leaves out what is below the level", async () => {
    const quiet = await start("warn");
    try {
      await quiet.gateway.app.inject({ url: "/healthz" });
      await quiet.gateway.app.inject({ url: "/apis/metrics.smi-spec.io/v1alpha1/namespaces/shop/deployments/catalog" });
      const lines = quiet.log.lines();
      assert.ok(lines.length > 0 && lines.every((l) => l.level >= LEVEL.warn), JSON.stringify(lines));
      assert.deepEqual(
        requestLines(lines).map((l) => l.status),
        [500],
        "the 200 is below warn; the 500 is an error",
      );
    } finally {
      await quiet.gateway.close();
    }
  });
});
