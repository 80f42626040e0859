import assert from "node:assert/strict";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, it } from "node:test";
import { AuthenticationError } from "../../src/kube/authn.ts";
import { KubeApiError } from "../../src/kube/client.ts";
import { startKubeIntegration } from "../../src/kube/index.ts";
import { makeTestPki } from "../fakes/certs.ts";
import { FakeKubeApiServer } from "../fakes/kube-apiserver.ts";
import { deployment, namespace } from "../fakes/kube-objects.ts";

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** A kubeconfig file for the fake, in a fresh directory the caller removes. */
function kubeconfigFile(fake: FakeKubeApiServer, token: string): { dir: string; path: string } {
  const dir = mkdtempSync(join(tmpdir(), "meshql-int-"));
  const path = join(dir, "kubeconfig");
  writeFileSync(
    path,
    `apiVersion: v1
kind: Config
clusters: [{name: fake, cluster: {server: "${fake.url}", insecure-skip-tls-verify: true}}]
users: [{name: sa, user: {token: ${token}}}]
contexts: [{name: fake, context: {cluster: fake, user: sa}}]
current-context: fake
`,
  );
  return { dir, path };
}

describe("startKubeIntegration", () => {
  it("wires inventory, SubjectAccessReviews and TokenReviews from one kubeconfig file", async () => {
    const fake = await FakeKubeApiServer.start({ clientToken: "sa" });
    const { dir, path } = kubeconfigFile(fake, "sa");
    fake.apply(namespace("shop"));
    fake.apply(deployment("shop", "web"));
    fake.users.set("tok", { username: "erin" });
    fake.sarRules.push({ user: "erin", namespace: "shop", allowed: true });
    const logs: string[] = [];
    const kube = await startKubeIntegration({ kubeconfig: { kubeconfigPath: path }, allowAnonymous: false, log: (m) => logs.push(m) });
    try {
      assert.ok(
        logs.some((l) => l.includes(fake.url)),
        logs.join("\n"),
      );
      assert.equal(kube.requestHeader, null, "no ConfigMap: no front proxy");
      assert.equal(kube.authorization, "subjectaccessreview");
      assert.deepEqual(
        kube.inventory?.list({ kind: "DEPLOYMENT", namespace: null, selector: null }, []).map((i) => i.ref.name),
        ["web"],
      );
      const user = await kube.authenticateRequest({ socket: null, headers: { authorization: "Bearer tok" } });
      assert.equal(user.username, "erin");
      await assert.rejects(kube.authenticateRequest({ socket: null, headers: {} }), AuthenticationError);
      assert.deepEqual(
        await kube.authorizer?.allowed(user, [
          { verb: "list", resource: "deployments", subresource: null, namespace: "shop" },
          { verb: "list", resource: "deployments", subresource: null, namespace: "ops" },
        ]),
        [true, false],
      );
      const tls = kube.tlsOptions({ cert: "c", key: "k" });
      assert.equal(tls.requestCert, true);
      assert.equal(tls.rejectUnauthorized, false);
    } finally {
      kube.close();
      await fake.close();
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it("reports no cluster, with token-less anonymous authentication only", async () => {
    const kube = await startKubeIntegration({
      kubeconfig: { env: {}, home: null, serviceAccountDir: "/nonexistent" },
      allowAnonymous: true,
      log: () => undefined,
    });
    assert.equal(kube.inventory, null);
    assert.equal(kube.authorizer, null);
    assert.equal(kube.authorization, "none");
    assert.equal((await kube.authenticateRequest({ socket: null, headers: {} })).username, "system:anonymous");
    kube.close();
  });

  it("says loudly that authorization is off when a front proxy is configured without a cluster", async () => {
    const pki = makeTestPki();
    const logs: string[] = [];
    try {
      const kube = await startKubeIntegration({
        kubeconfig: { env: {}, home: null, serviceAccountDir: "/nonexistent" },
        requestheaderClientCAFile: pki.frontProxyCA.certFile,
        allowAnonymous: "without-cluster",
        log: (m) => logs.push(m),
      });
      kube.close();
      assert.equal(kube.authorization, "none");
      assert.notEqual(kube.requestHeader, null);
      assert.ok(
        logs.some(
          (l) =>
            l.startsWith("WARNING") &&
            l.includes("authorization is OFF") &&
            l.includes("EVERY AUTHENTICATED USER MAY READ EVERY NAMESPACE"),
        ),
        logs.join("\n"),
      );
    } finally {
      pki.cleanup();
    }
  });

  it("gives up after readyTimeoutMs, naming the server and the collections not listed, and stops every reflector", {
    timeout: 10_000,
  }, async () => {
    const fake = await FakeKubeApiServer.start({ clientToken: "sa" });
    const { dir, path } = kubeconfigFile(fake, "sa");
    fake.failLists.set("pods", "hang");
    fake.failLists.set("jobs", 500);
    try {
      await assert.rejects(
        startKubeIntegration({ kubeconfig: { kubeconfigPath: path }, allowAnonymous: false, readyTimeoutMs: 400, log: () => undefined }),
        (e: unknown) => {
          const m = e instanceof Error ? e.message : "";
          assert.ok(m.includes(fake.url), m);
          assert.match(m, /\/api\/v1\/pods \(no answer yet\)/);
          assert.match(m, /\/apis\/batch\/v1\/jobs \(.*500/);
          assert.doesNotMatch(m, /deployments|namespaces/, "collections that listed are not named");
          return true;
        },
      );
      await sleep(300);
      assert.equal(fake.openWatches, 0, "the collections that listed stopped watching");
    } finally {
      await fake.close();
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it("closes what it opened when a first list is refused (403)", { timeout: 10_000 }, async () => {
    const fake = await FakeKubeApiServer.start({ clientToken: "sa" });
    const { dir, path } = kubeconfigFile(fake, "sa");
    fake.failLists.set("pods", 403);
    try {
      await assert.rejects(
        startKubeIntegration({ kubeconfig: { kubeconfigPath: path }, allowAnonymous: false, log: () => undefined }),
        (e: unknown) => e instanceof KubeApiError && e.status === 403,
      );
      await sleep(300);
      assert.equal(fake.openWatches, 0, "no reflector kept watching after the failed start-up");
    } finally {
      await fake.close();
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
