import assert from "node:assert/strict";
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, describe, it } from "node:test";
import { loadKubeConfig } from "../../src/kube/config.ts";

const dir = mkdtempSync(join(tmpdir(), "meshql-kubeconfig-"));
const noSa = join(dir, "no-sa");

function kubeconfig(name: string, server: string, current: string | null = name, extraContext = ""): string {
  const path = join(dir, `${name}.yaml`);
  writeFileSync(
    path,
    `apiVersion: v1
kind: Config
clusters:
- name: ${name}
  cluster:
    server: ${server}
users:
- name: ${name}
  user:
    token: t-${name}
contexts:
- name: ${name}
  context:
    cluster: ${name}
    user: ${name}
${extraContext}${current ? `current-context: ${current}\n` : ""}`,
  );
  return path;
}

describe("loadKubeConfig", () => {
  after(() => rmSync(dir, { recursive: true, force: true }));

  it("returns null when nothing is configured, never localhost:8080", () => {
    assert.equal(loadKubeConfig({ env: {}, home: null, serviceAccountDir: noSa }), null);
    assert.equal(loadKubeConfig({ env: {}, home: join(dir, "empty-home"), serviceAccountDir: noSa }), null);
  });

  it("prefers --kubeconfig over KUBECONFIG, and fails on a missing explicit path", () => {
    const a = kubeconfig("a", "https://a.example:6443");
    const b = kubeconfig("b", "https://b.example:6443");
    const loaded = loadKubeConfig({ kubeconfigPath: a, env: { KUBECONFIG: b }, home: null, serviceAccountDir: noSa });
    assert.equal(loaded?.source, "flag");
    assert.equal(loaded?.kubeConfig.getCurrentCluster()?.server, "https://a.example:6443");
    assert.throws(
      () => loadKubeConfig({ kubeconfigPath: join(dir, "missing.yaml"), env: {}, home: null, serviceAccountDir: noSa }),
      /does not exist/,
    );
  });

  it("merges a KUBECONFIG path list, first definition and current-context winning", () => {
    const first = kubeconfig("first", "https://first.example", null);
    const second = kubeconfig("second", "https://second.example", "second");
    const loaded = loadKubeConfig({
      env: { KUBECONFIG: `${join(dir, "absent.yaml")}:${first}:${second}` },
      home: null,
      serviceAccountDir: noSa,
    });
    assert.equal(loaded?.source, "env");
    assert.equal(loaded?.kubeConfig.getCurrentCluster()?.server, "https://second.example");
    assert.deepEqual(
      loaded?.kubeConfig.getContexts().map((c) => c.name),
      ["first", "second"],
    );
    const switched = loadKubeConfig({ env: { KUBECONFIG: `${first}:${second}` }, context: "first", home: null, serviceAccountDir: noSa });
    assert.equal(switched?.kubeConfig.getCurrentCluster()?.server, "https://first.example");
    assert.throws(
      () => loadKubeConfig({ env: { KUBECONFIG: join(dir, "absent.yaml") }, home: null, serviceAccountDir: noSa }),
      /no existing file/,
    );
  });

  it("refuses a kubeconfig without a current context instead of guessing", () => {
    const none = kubeconfig("none", "https://none.example", null);
    assert.throws(() => loadKubeConfig({ kubeconfigPath: none, env: {}, home: null, serviceAccountDir: noSa }), /no current context/);
  });

  it("uses ~/.kube/config, then the in-cluster service account", async () => {
    const home = join(dir, "home");
    mkdirSync(join(home, ".kube"), { recursive: true });
    writeFileSync(
      join(home, ".kube", "config"),
      `apiVersion: v1
kind: Config
clusters: [{name: h, cluster: {server: "https://home.example"}}]
users: [{name: h, user: {token: x}}]
contexts: [{name: h, context: {cluster: h, user: h}}]
current-context: h
`,
    );
    assert.equal(loadKubeConfig({ env: {}, home, serviceAccountDir: noSa })?.source, "home");

    const sa = join(dir, "sa");
    mkdirSync(sa);
    writeFileSync(join(sa, "token"), "sa-token");
    writeFileSync(join(sa, "ca.crt"), "");
    assert.throws(() => loadKubeConfig({ env: {}, home: null, serviceAccountDir: sa }), /KUBERNETES_SERVICE_HOST/);
    const inCluster = loadKubeConfig({
      env: { KUBERNETES_SERVICE_HOST: "fd00::1", KUBERNETES_SERVICE_PORT: "443" },
      home: null,
      serviceAccountDir: sa,
    });
    assert.equal(inCluster?.source, "in-cluster");
    assert.equal(inCluster?.kubeConfig.getCurrentCluster()?.server, "https://[fd00::1]:443");
    const opts: { headers?: Record<string, string> } = {};
    await inCluster!.kubeConfig.applyToHTTPSOptions(opts);
    assert.equal(opts.headers?.Authorization, "Bearer sa-token", "the mounted token is sent");
  });
});
