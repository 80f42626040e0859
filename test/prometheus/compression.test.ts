// --backend-compression: what meshql asks the backend for. Prometheus cannot
// report request headers, so a loopback HTTP server answering empty vectors
// records them here, for the client alone and through a whole gateway.

import assert from "node:assert/strict";
import { createServer, type IncomingHttpHeaders } from "node:http";
import type { AddressInfo } from "node:net";
import { after, before, describe, it } from "node:test";
import { parseServeOptions, UsageError } from "../../src/cli/options.ts";
import { PrometheusClient } from "../../src/prometheus/client.ts";
import { testGateway } from "../support/gateway.ts";

const seen: IncomingHttpHeaders[] = [];
const server = createServer((req, res) => {
  seen.push(req.headers);
  req.resume();
  req.on("end", () =>
    res.setHeader("content-type", "application/json").end('{"status":"success","data":{"resultType":"vector","result":[]}}'),
  );
});
let url = "";
before(async () => {
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
after(() => new Promise<void>((resolve) => server.close(() => resolve())));

const encodings = (): (string | undefined)[] => seen.map((h) => h["accept-encoding"]);

describe("backend compression", () => {
  it("the client asks for identity by default and for gzip when enabled", async () => {
    seen.length = 0;
    await new PrometheusClient({ baseUrl: url }).query("vector(1)", new Date());
    await new PrometheusClient({ baseUrl: url, compression: true }).query("vector(1)", new Date());
    assert.deepEqual(
      seen.map((h) => h.accept),
      ["application/json", "application/json"],
    );
    assert.equal(encodings()[0], "identity");
    assert.match(encodings()[1] ?? "", /\bgzip\b/);
  });

  for (const compression of [false, true]) {
    it(`a gateway with backendCompression ${compression} sends that with every query`, async () => {
      seen.length = 0;
      const gateway = await testGateway(url, "linkerd", { backendCompression: compression });
      try {
        const response = await gateway.app.inject({
          method: "GET",
          url: "/apis/metrics.smi-spec.io/v1alpha1/namespaces/default/deployments",
        });
        assert.equal(response.statusCode, 200);
      } finally {
        await gateway.close();
      }
      assert.ok(seen.length >= 2, `start-up and the request reached the backend (${seen.length} queries)`);
      for (const encoding of encodings()) {
        if (compression) assert.match(encoding ?? "", /\bgzip\b/);
        else assert.equal(encoding, "identity");
      }
    });
  }

  it("--backend-compression takes true or false, default false", () => {
    assert.equal(parseServeOptions({}, {}).backendCompression, false);
    assert.equal(parseServeOptions({ "backend-compression": "true" }, {}).backendCompression, true);
    assert.equal(parseServeOptions({}, { MESHQL_BACKEND_COMPRESSION: "true" }).backendCompression, true);
    assert.throws(
      () => parseServeOptions({ "backend-compression": "yes" }, {}),
      (e: unknown) => e instanceof UsageError && e.message.includes("--backend-compression"),
    );
  });
});
