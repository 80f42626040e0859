// HTTP transport limits over real sockets: HTTP/1.0 without Host, slow request
// bodies, header and body size, and the connection limit. The backend is a
// loopback server answering empty Prometheus vectors: these tests are about
// the client side of the gateway.

import assert from "node:assert/strict";
import { createServer, type Server } from "node:http";
import { connect, type Socket } from "node:net";
import { after, before, describe, it } from "node:test";
import { readFileSync } from "node:fs";
import { parseServeOptions, SERVE_FLAGS, UsageError } from "../../src/cli/options.ts";
import type { Gateway } from "../../src/server/gateway.ts";
import { parseByteSize } from "../../src/server/limits.ts";
import { testGateway } from "../support/gateway.ts";

const EMPTY = JSON.stringify({ status: "success", data: { resultType: "vector", result: [] } });
let backend: Server;
let gateway: Gateway;
let port: number;

before(async () => {
  backend = createServer((_req, res) => res.writeHead(200, { "content-type": "application/json" }).end(EMPTY));
  await new Promise<void>((resolve) => backend.listen(0, "127.0.0.1", resolve));
  const address = backend.address();
  const url = `http://127.0.0.1:${typeof address === "object" && address ? address.port : 0}`;
  gateway = await testGateway(url, "linkerd", {
    serverLimits: { requestTimeoutMs: 1500, idleTimeoutMs: 5000, maxHeaderBytes: 4096, maxBodyBytes: 2048, maxConnections: 5 },
  });
  await gateway.app.listen({ host: "127.0.0.1", port: 0 });
  const listening = gateway.app.server.address();
  port = typeof listening === "object" && listening ? listening.port : 0;
});

after(async () => {
  await gateway?.close();
  backend?.closeAllConnections();
  await new Promise((resolve) => backend?.close(resolve));
});

/** Opens a raw connection; resolves with everything the server sent once it closes, and when. */
function rawConnection(): { socket: Socket; closed: Promise<{ text: string; ms: number }> } {
  const socket = connect(port, "127.0.0.1");
  const started = performance.now();
  let text = "";
  socket.on("data", (d: Buffer) => (text += d.toString()));
  socket.on("error", () => {});
  const closed = new Promise<{ text: string; ms: number }>((resolve) =>
    socket.on("close", () => resolve({ text, ms: performance.now() - started })),
  );
  return { socket, closed };
}

describe("transport limits", () => {
  it("answers an HTTP/1.0 POST /graphql without Host", async () => {
    const body = JSON.stringify({ query: "{ resources(kind: NAMESPACE) { name } }" });
    const { socket, closed } = rawConnection();
    socket.write(`POST /graphql HTTP/1.0\r\nContent-Type: application/json\r\nContent-Length: ${Buffer.byteLength(body)}\r\n\r\n${body}`);
    const { text } = await closed;
    assert.match(text, /^HTTP\/1\.[01] 200 /, text);
    assert.ok(text.trimEnd().endsWith(JSON.stringify({ data: { resources: [] } })), text);
  });

  it("cuts a client that trickles its body with 408 at --request-timeout", async () => {
    const { socket, closed } = rawConnection();
    socket.write("POST /graphql HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 1000\r\n\r\n{");
    const trickle = setInterval(() => socket.writable && socket.write(" "), 200);
    const { text, ms } = await closed;
    clearInterval(trickle);
    assert.match(text, /^HTTP\/1\.1 408 /, text);
    assert.ok(ms < 6000, `cut after ${Math.round(ms)} ms`);
  });

  it("refuses a header block past --max-header-size with 431", async () => {
    const r = await fetch(`http://127.0.0.1:${port}/healthz`, { headers: { "x-padding": "a".repeat(8192) } });
    assert.equal(r.status, 431);
  });

  it("refuses a body past --max-body-size with 413", async () => {
    const r = await fetch(`http://127.0.0.1:${port}/graphql`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ query: `{ resources(kind: NAMESPACE) { name } } # ${"x".repeat(4096)}` }),
    });
    assert.equal(r.status, 413);
  });

  it("closes connections past --max-connections, and serves again once they are gone", async () => {
    const held = Array.from({ length: 5 }, () => rawConnection());
    await Promise.all(held.map(({ socket }) => new Promise((resolve) => socket.once("connect", resolve))));
    await new Promise((resolve) => setTimeout(resolve, 100));
    const extra = rawConnection();
    extra.socket.write("GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n");
    const refused = await extra.closed;
    assert.equal(refused.text, "", "the sixth connection is closed without an answer");
    for (const { socket } of held) socket.destroy();
    await Promise.all(held.map(({ closed }) => closed));
    await new Promise((resolve) => setTimeout(resolve, 100));
    assert.equal((await fetch(`http://127.0.0.1:${port}/healthz`)).status, 200);
  });
});

describe("transport flags", () => {
  it("parses the limits from flags and the environment, with sizes in bytes, KiB or MiB", () => {
    const o = parseServeOptions(
      { "request-timeout": "5s", "max-body-size": "64KiB", "max-connections": "10", "max-query-depth": "6" },
      { MESHQL_MAX_BACKEND_RESPONSE: "1MiB", MESHQL_MAX_HEADER_SIZE: "8192" },
    );
    assert.deepEqual(o.serverLimits, {
      requestTimeoutMs: 5000,
      idleTimeoutMs: 120_000,
      maxHeaderBytes: 8192,
      maxBodyBytes: 65536,
      maxConnections: 10,
    });
    assert.equal(o.maxBackendResponseBytes, 1024 * 1024);
    assert.equal(o.maxBackendInFlightBytes, 256 * 1024 * 1024);
    assert.deepEqual(o.documentLimits, { maxDepth: 6, maxCost: 10_000 });
    assert.equal(o.maxAtAge.seconds, 15 * 86400);
    assert.equal(parseServeOptions({ "max-at-age": "400d" }, {}).maxAtAge.seconds, 400 * 86400, "retention may be longer than a window");
  });

  for (const [flag, value] of [
    ["--max-body-size", "lots"],
    ["--max-body-size", "0"],
    ["--max-connections", "-1"],
    ["--max-query-cost", "1e3"],
    ["--request-timeout", "soon"],
  ] as const) {
    it(`refuses ${flag} ${value} as a usage error`, () => {
      assert.throws(
        () => parseServeOptions({ [flag.slice(2)]: value }, {}),
        (e: unknown) => e instanceof UsageError && e.message.includes(flag.slice(2)),
      );
    });
  }

  it("documents every limit in the README's table, with its default (test/cli.test.ts checks --help)", () => {
    const readme = readFileSync(new URL("../../README.md", import.meta.url), "utf8");
    const limits = Object.entries(SERVE_FLAGS).filter(([name]) => /^(max-|request-timeout|idle-timeout)/.test(name));
    assert.equal(limits.length, 13);
    for (const [name, spec] of limits) {
      assert.ok(readme.includes(`| \`--${name}\` | \`${spec.default}\` |`), `README row for --${name} with default ${spec.default}`);
    }
  });

  it("reads sizes as people write them", () => {
    assert.equal(parseByteSize("64MiB"), 64 * 1024 * 1024);
    assert.equal(parseByteSize("512 KiB"), 512 * 1024);
    assert.equal(parseByteSize("1MB"), 1_000_000);
    assert.equal(parseByteSize("100"), 100);
    assert.equal(parseByteSize("1.5MiB"), null);
    assert.equal(parseByteSize("MiB"), null);
  });
});
