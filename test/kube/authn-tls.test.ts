// Front-proxy and token authentication over a real node https server, with
// certificates made by openssl for this run.

import assert from "node:assert/strict";
import { X509Certificate } from "node:crypto";
import { writeFileSync } from "node:fs";
import https from "node:https";
import type { AddressInfo } from "node:net";
import { after, before, describe, it } from "node:test";
import type { TLSSocket } from "node:tls";
import { AuthenticationError, kubeTokenReviewer, RequestAuthenticator, type RequestHeaderSettings } from "../../src/kube/authn.ts";
import { loadRequestHeaderSettings, requestHeaderSettings } from "../../src/kube/authn-config.ts";
import { KubeClient } from "../../src/kube/client.ts";
import { makeAuthenticateRequest, withClientCertificates } from "../../src/kube/tls.ts";
import { watchServingCertificate } from "../../src/kube/tls-reload.ts";
import { makeTestPki, type Pem, type TestPki } from "../fakes/certs.ts";
import { FakeKubeApiServer } from "../fakes/kube-apiserver.ts";

interface Answer {
  status: number;
  body: { username?: string; groups?: string[]; extra?: Record<string, string[]>; reason?: string };
  serverCN: string | null;
}

function call(port: number, pki: TestPki, client: Pem | null, headers: [string, string][] = []): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const req = https.request(
      {
        host: "127.0.0.1",
        port,
        path: "/apis/metrics.smi-spec.io/v1alpha1",
        ca: pki.servingCA.cert,
        ...(client ? { cert: client.cert, key: client.key } : {}),
        // Each case on a fresh connection: a client certificate belongs to a connection.
        agent: false,
        // Raw header pairs keep repeated X-Remote-Group lines apart.
        headers: [["Host", `127.0.0.1:${port}`], ...headers].flat(),
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on("data", (c: Buffer) => chunks.push(c));
        res.on("end", () => {
          const peer = (res.socket as TLSSocket).getPeerX509Certificate?.();
          const cn =
            peer?.subject
              .split("\n")
              .find((l) => l.startsWith("CN="))
              ?.slice(3) ?? null;
          resolve({ status: res.statusCode ?? 0, body: JSON.parse(Buffer.concat(chunks).toString("utf8")), serverCN: cn });
        });
      },
    );
    req.on("error", reject);
    req.end();
  });
}

async function serve(pki: TestPki, authenticator: RequestAuthenticator): Promise<{ server: https.Server; port: number }> {
  const authenticate = makeAuthenticateRequest(authenticator);
  const server = https.createServer(
    withClientCertificates({ cert: pki.server.cert, key: pki.server.key }, authenticator.requestHeader),
    (req, res) => {
      authenticate(req).then(
        (user) => res.writeHead(200, { "content-type": "application/json" }).end(JSON.stringify(user)),
        (e: unknown) => {
          const status = e instanceof AuthenticationError ? e.statusCode : 500;
          res
            .writeHead(status, { "content-type": "application/json" })
            .end(JSON.stringify({ reason: e instanceof AuthenticationError ? e.reason : String(e) }));
        },
      );
    },
  );
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  return { server, port: (server.address() as AddressInfo).port };
}

describe("front-proxy and token authentication over TLS", () => {
  let pki: TestPki;
  let fake: FakeKubeApiServer;
  let kube: KubeClient;
  let settings: RequestHeaderSettings;
  let strict: { server: https.Server; port: number };
  let open: { server: https.Server; port: number };

  before(async () => {
    pki = makeTestPki();
    fake = await FakeKubeApiServer.start();
    fake.users.set("token-carol", { username: "carol", groups: ["ops"] });
    kube = new KubeClient(fake.kubeConfig());
    settings = requestHeaderSettings({ clientCAPem: pki.frontProxyCA.cert, allowedNames: ["front-proxy-client", "aggregator"] });
    strict = await serve(
      pki,
      new RequestAuthenticator({ requestHeader: settings, tokenReviewer: kubeTokenReviewer(kube), allowAnonymous: false }),
    );
    open = await serve(
      pki,
      new RequestAuthenticator({ requestHeader: settings, tokenReviewer: kubeTokenReviewer(kube), allowAnonymous: true }),
    );
  });

  after(async () => {
    strict.server.closeAllConnections();
    open.server.closeAllConnections();
    await new Promise((r) => strict.server.close(r));
    await new Promise((r) => open.server.close(r));
    kube.close();
    await fake.close();
    pki.cleanup();
  });

  const remoteHeaders: [string, string][] = [
    ["X-Remote-User", "alice"],
    ["X-Remote-Group", "devs"],
    ["X-Remote-Group", "system:authenticated"],
    ["X-Remote-Extra-Scopes", "read"],
    ["X-Remote-Extra-Scopes", "write"],
    ["X-Remote-Extra-Acme.com%2Fproject", "p1"],
  ];

  it("a verified front proxy with an allowed CN vouches for the user, groups and extras in its headers", async () => {
    const a = await call(strict.port, pki, pki.clients.allowed, remoteHeaders);
    assert.equal(a.status, 200, JSON.stringify(a.body));
    assert.deepEqual(a.body, {
      username: "alice",
      groups: ["devs", "system:authenticated"],
      extra: { scopes: ["read", "write"], "acme.com/project": ["p1"] },
    });
  });

  it("refuses a front-proxy certificate from another CA (same CA name, other key)", async () => {
    const a = await call(open.port, pki, pki.clients.wrongCA, remoteHeaders);
    assert.equal(a.status, 401);
    const b = await call(open.port, pki, pki.clients.wrongCA);
    assert.equal(b.status, 401, "a bad certificate is not downgraded to anonymous");
    assert.equal(b.body.reason, "invalid-certificate");
  });

  it("refuses a CN that is not in requestheader-allowed-names", async () => {
    const a = await call(open.port, pki, pki.clients.disallowed, remoteHeaders);
    assert.equal(a.status, 401);
    assert.equal((await call(open.port, pki, pki.clients.disallowed)).body.reason, "invalid-certificate");
  });

  it("refuses an expired front-proxy certificate", async () => {
    const a = await call(open.port, pki, pki.clients.expired, remoteHeaders);
    assert.equal(a.status, 401);
    assert.equal((await call(open.port, pki, pki.clients.expired)).body.reason, "invalid-certificate");
  });

  it("refuses X-Remote-* headers without a front-proxy certificate (spoofing), even where anonymous is allowed", async () => {
    for (const headers of [[["X-Remote-User", "admin"]], [["X-Remote-Group", "system:masters"]], [["X-Remote-Extra-Foo", "x"]]] as [
      string,
      string,
    ][][]) {
      const a = await call(open.port, pki, null, headers);
      assert.equal(a.status, 401, JSON.stringify(headers));
      assert.equal(a.body.reason, "spoofed-headers");
    }
    const withToken = await call(open.port, pki, null, [
      ["X-Remote-User", "admin"],
      ["Authorization", "Bearer token-carol"],
    ]);
    assert.equal(withToken.status, 401, "a valid token does not launder spoofed identity headers");
  });

  it("anonymous only when enabled and no credential was presented", async () => {
    assert.deepEqual((await call(open.port, pki, null)).body, { username: "system:anonymous", groups: ["system:unauthenticated"] });
    const a = await call(strict.port, pki, null);
    assert.equal(a.status, 401);
    assert.equal(a.body.reason, "no-credentials");
  });

  it("a front-proxy certificate without a user header falls through to other methods", async () => {
    assert.equal((await call(strict.port, pki, pki.clients.allowed)).status, 401);
    const a = await call(strict.port, pki, pki.clients.allowed, [["Authorization", "Bearer token-carol"]]);
    assert.equal(a.body.username, "carol");
  });

  it("checks bearer tokens with TokenReview, caching the answer", async () => {
    fake.users.set("token-dave", { username: "dave", groups: ["ops"] });
    const before = fake.tokenReview.count;
    const a = await call(strict.port, pki, null, [["Authorization", "Bearer token-dave"]]);
    assert.equal(a.status, 200);
    assert.deepEqual(a.body, { username: "dave", groups: ["ops", "system:authenticated"] });
    assert.equal(fake.tokenReview.count, before + 1);
    await call(strict.port, pki, null, [["Authorization", "Bearer token-dave"]]);
    assert.equal(fake.tokenReview.count, before + 1, "the second request used the cache");
    const bad = await call(open.port, pki, null, [["Authorization", "Bearer nope"]]);
    assert.equal(bad.status, 401, "an invalid token is not downgraded to anonymous");
    assert.equal(bad.body.reason, "invalid-token");
    assert.equal((await call(open.port, pki, null, [["Authorization", "Basic Zm9vOmJhcg=="]])).status, 401);
  });

  it("an empty allowed-names list accepts any CN the front-proxy CA signed, and still no other CA", async () => {
    const any = await serve(
      pki,
      new RequestAuthenticator({
        requestHeader: requestHeaderSettings({ clientCAPem: pki.frontProxyCA.cert, allowedNames: [] }),
        tokenReviewer: null,
        allowAnonymous: false,
      }),
    );
    try {
      assert.equal((await call(any.port, pki, pki.clients.disallowed, remoteHeaders)).body.username, "alice");
      assert.equal((await call(any.port, pki, pki.clients.wrongCA, remoteHeaders)).status, 401);
    } finally {
      any.server.closeAllConnections();
      await new Promise((r) => any.server.close(r));
    }
  });

  it("does not trust a transport that claims verification of a chain not from the requestheader CA", async () => {
    const authn = new RequestAuthenticator({ requestHeader: settings, tokenReviewer: null, allowAnonymous: true });
    const chain = [new X509Certificate(pki.clients.wrongCA.cert)];
    await assert.rejects(
      authn.authenticate({ peer: { chain, verified: true }, headers: { "x-remote-user": "alice" } }),
      AuthenticationError,
    );
    const ok = await authn.authenticate({
      peer: { chain: [new X509Certificate(pki.clients.allowed.cert)], verified: true },
      headers: { "x-remote-user": "alice" },
    });
    assert.equal(ok.username, "alice");
    // The clock matters: the same certificate is refused once past its notAfter.
    const late = new RequestAuthenticator({
      requestHeader: settings,
      tokenReviewer: null,
      allowAnonymous: true,
      now: () => new Date(Date.now() + 5 * 86_400_000),
    });
    await assert.rejects(
      late.authenticate({
        peer: { chain: [new X509Certificate(pki.clients.allowed.cert)], verified: true },
        headers: { "x-remote-user": "alice" },
      }),
      AuthenticationError,
    );
  });

  it("reads requestheader settings from the extension-apiserver-authentication ConfigMap, flags first", async () => {
    fake.authConfigMap = null;
    assert.equal((await loadRequestHeaderSettings({}, kube)).settings, null);
    fake.authConfigMap = {
      "client-ca-file": pki.servingCA.cert,
      "requestheader-client-ca-file": pki.frontProxyCA.cert,
      "requestheader-allowed-names": '["front-proxy-client"]',
      "requestheader-username-headers": '["X-Remote-User"]',
      "requestheader-group-headers": '["X-Remote-Group"]',
      "requestheader-extra-headers-prefix": '["X-Remote-Extra-"]',
    };
    const loaded = await loadRequestHeaderSettings({}, kube);
    assert.equal(loaded.source, "configmap");
    assert.deepEqual(loaded.settings?.allowedNames, ["front-proxy-client"]);
    assert.deepEqual(loaded.settings?.usernameHeaders, ["x-remote-user"]);
    assert.deepEqual(loaded.settings?.extraHeaderPrefixes, ["x-remote-extra-"]);
    assert.equal(loaded.settings?.clientCA[0]?.fingerprint256, new X509Certificate(pki.frontProxyCA.cert).fingerprint256);
    const fromFlags = await loadRequestHeaderSettings(
      { requestheaderClientCAFile: pki.wrongCA.certFile, requestheaderUsernameHeaders: ["X-User"] },
      kube,
    );
    assert.equal(fromFlags.source, "flags");
    assert.deepEqual(fromFlags.settings?.usernameHeaders, ["x-user"]);
    assert.deepEqual(fromFlags.settings?.groupHeaders, ["x-remote-group"]);
    assert.equal((await loadRequestHeaderSettings({}, null)).source, "none");
  });

  it("reloads the serving certificate when its files change, keeping the client CA", async () => {
    const certFile = `${pki.dir}/serving.crt`;
    const keyFile = `${pki.dir}/serving.key`;
    writeFileSync(certFile, pki.server.cert);
    writeFileSync(keyFile, pki.server.key);
    const authn = new RequestAuthenticator({ requestHeader: settings, tokenReviewer: null, allowAnonymous: false });
    const s = await serve(pki, authn);
    const logs: string[] = [];
    const reloader = watchServingCertificate(s.server, {
      certFile,
      keyFile,
      contextOptions: () => ({ ca: settings.clientCAPem }),
      debounceMs: 20,
      log: (m) => logs.push(m),
    });
    try {
      assert.equal((await call(s.port, pki, pki.clients.allowed, remoteHeaders)).serverCN, "meshql.meshql.svc");
      await reloader.reload();
      const next = pki.newServerCert("server2", "meshql-rotated");
      writeFileSync(keyFile, "garbage");
      assert.equal(await reloader.reload(), false, "a half-written pair is not installed");
      writeFileSync(certFile, next.cert);
      writeFileSync(keyFile, next.key);
      const deadline = Date.now() + 3000;
      let a = await call(s.port, pki, pki.clients.allowed, remoteHeaders);
      while (a.serverCN !== "meshql-rotated" && Date.now() < deadline) {
        await new Promise((r) => setTimeout(r, 25));
        a = await call(s.port, pki, pki.clients.allowed, remoteHeaders);
      }
      assert.equal(a.serverCN, "meshql-rotated", logs.join("\n"));
      assert.equal(a.body.username, "alice", "client certificates still verify after the swap");
    } finally {
      reloader.close();
      s.server.closeAllConnections();
      await new Promise((r) => s.server.close(r));
    }
  });
});
