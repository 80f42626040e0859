// KubeClient's pooled keep-alive agent against a TLS server that reads the
// client certificate of every request: connections are reused while the
// credentials stay the same, and a rotated client certificate is presented on
// the very next request.

import assert from "node:assert/strict";
import { copyFileSync, mkdtempSync, rmSync } from "node:fs";
import https from "node:https";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import type { TLSSocket } from "node:tls";
import { KubeConfig } from "@kubernetes/client-node";
import { KubeClient } from "../../src/kube/client.ts";
import { makeTestPki, type Pem, type TestPki } from "../fakes/certs.ts";

describe("KubeClient client certificates", () => {
  let pki: TestPki;
  let dir: string;
  let server: https.Server;
  let url: string;
  let connections = 0;
  const seen: string[] = [];

  before(async () => {
    pki = makeTestPki();
    dir = mkdtempSync(join(tmpdir(), "meshql-client-"));
    server = https.createServer(
      { cert: pki.server.cert, key: pki.server.key, ca: pki.frontProxyCA.cert, requestCert: true, rejectUnauthorized: true },
      (req, res) => {
        seen.push((req.socket as TLSSocket).getPeerX509Certificate()?.subject ?? "none");
        res.writeHead(200, { "content-type": "application/json" }).end("{}");
      },
    );
    server.on("secureConnection", () => connections++);
    await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
    url = `https://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  after(async () => {
    server.closeAllConnections();
    await new Promise((r) => server.close(r));
    rmSync(dir, { recursive: true, force: true });
    pki.cleanup();
  });

  /** Writes the pair where the kubeconfig points, as a Secret volume or cert-manager would. */
  function install(pem: Pem): void {
    copyFileSync(pem.certFile, join(dir, "client.crt"));
    copyFileSync(pem.keyFile, join(dir, "client.key"));
  }

  it("presents a rotated client certificate on the next request, and pools connections otherwise", async () => {
    install(pki.clients.allowed);
    const kc = new KubeConfig();
    kc.loadFromOptions({
      clusters: [{ name: "tls", server: url, caFile: pki.servingCA.certFile, skipTLSVerify: false }],
      users: [{ name: "cert", certFile: join(dir, "client.crt"), keyFile: join(dir, "client.key") }],
      contexts: [{ name: "tls", cluster: "tls", user: "cert" }],
      currentContext: "tls",
    });
    const client = new KubeClient(kc);
    try {
      await client.json("GET", "/version");
      await client.json("GET", "/version");
      assert.equal(connections, 1, "an unchanged pair reuses the pooled connection");
      install(pki.clients.disallowed);
      await client.json("GET", "/version");
      assert.deepEqual(seen, ["CN=front-proxy-client", "CN=front-proxy-client", "CN=intruder"]);
    } finally {
      client.close();
    }
  });
});
