import assert from "node:assert/strict";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, it } from "node:test";
import { AuthenticationError } from "../../src/kube/authn.ts";
import { startKubeIntegration } from "../../src/kube/index.ts";
import { FakeKubeApiServer } from "../fakes/kube-apiserver.ts";
import { deployment, namespace } from "../fakes/kube-objects.ts";

describe("startKubeIntegration", () => {
  it("wires inventory, SubjectAccessReviews and TokenReviews from one kubeconfig file", async () => {
    const fake = await FakeKubeApiServer.start({ clientToken: "sa" });
    const dir = mkdtempSync(join(tmpdir(), "meshql-int-"));
    const path = join(dir, "kubeconfig");
    writeFileSync(path, `apiVersion: v1
kind: Config
clusters: [{name: fake, cluster: {server: "${fake.url}", insecure-skip-tls-verify: true}}]
users: [{name: sa, user: {token: sa}}]
contexts: [{name: fake, context: {cluster: fake, user: sa}}]
current-context: fake
`);
    fake.apply(namespace("shop"));
    fake.apply(deployment("shop", "web"));
    fake.users.set("tok", { username: "erin" });
    fake.sarRules.push({ user: "erin", namespace: "shop", allowed: true });
    const logs: string[] = [];
    const kube = await startKubeIntegration({ kubeconfig: { kubeconfigPath: path }, allowAnonymous: false, log: (m) => logs.push(m) });
    try {
      assert.ok(logs.some((l) => l.includes(fake.url)), logs.join("\n"));
      assert.equal(kube.requestHeader, null, "no ConfigMap: no front proxy");
      assert.deepEqual(kube.inventory?.list({ kind: "DEPLOYMENT", namespace: null, selector: null }, []).map((i) => i.ref.name), ["web"]);
      const user = await kube.authenticateRequest({ socket: null, headers: { authorization: "Bearer tok" } });
      assert.equal(user.username, "erin");
      await assert.rejects(kube.authenticateRequest({ socket: null, headers: {} }), AuthenticationError);
      assert.deepEqual(await kube.authorizer?.allowed(user, [{ verb: "list", resource: "deployments", subresource: null, namespace: "shop" }, { verb: "list", resource: "deployments", subresource: null, namespace: "ops" }]), [true, false]);
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
    const kube = await startKubeIntegration({ kubeconfig: { env: {}, home: null, serviceAccountDir: "/nonexistent" }, allowAnonymous: true, log: () => undefined });
    assert.equal(kube.inventory, null);
    assert.equal(kube.authorizer, null);
    assert.equal((await kube.authenticateRequest({ socket: null, headers: {} })).username, "system:anonymous");
    kube.close();
  });
});
