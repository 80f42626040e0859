// `meshql check` as operators run it: the real binary against real Prometheus
// servers (fixture topology in all three meshes' metrics, with history up to
// now; and a Linkerd backend that lost labels), a non-Prometheus HTTP server, a
// closed port, and, for the cluster checks, the loopback fake API server (no
// real kube-apiserver can be installed here).

import assert from "node:assert/strict";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import http from "node:http";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { consul } from "../../src/demo/traffic/consul.ts";
import { istio } from "../../src/demo/traffic/istio.ts";
import { linkerd } from "../../src/demo/traffic/linkerd.ts";
import { makeTestPki, type TestPki } from "../fakes/certs.ts";
import { FakeKubeApiServer } from "../fakes/kube-apiserver.ts";
import { topologyModel } from "../fixtures/topology.ts";
import { freePort, startPrometheus, type PrometheusInstance } from "../harness/prometheus.ts";
import { cleanEnv, meshql } from "./support.ts";

const home = mkdtempSync(join(tmpdir(), "meshql-cli-check-"));
const env = cleanEnv(home);
const STEP = 10;
let full: PrometheusInstance;
let stripped: PrometheusInstance;

/** A Linkerd backend whose relabelling dropped classification and tls, and which has no latency histogram. */
function strippedOpenMetrics(end: number): string {
  const lines = ["# TYPE response counter"];
  for (let t = end - 1200, v = 0; t <= end; t += STEP, v += 10) {
    lines.push(`response_total{direction="inbound",namespace="shop",deployment="web",pod="web-1",dst_namespace="shop"} ${v} ${t}`);
  }
  lines.push("# EOF");
  return `${lines.join("\n")}\n`;
}

before(async () => {
  // History up to now, as a live backend has: check looks at the last 10 minutes.
  const end = Math.floor(Date.now() / 1000 / STEP) * STEP;
  const file = join(home, "stripped.om");
  writeFileSync(file, strippedOpenMetrics(end));
  [full, stripped] = await Promise.all([
    startPrometheus({ model: topologyModel(), formats: [linkerd, istio, consul], start: end - 1200, end, step: STEP }),
    startPrometheus({ openMetricsFiles: [file] }),
  ]);
});

after(async () => {
  await Promise.all([full?.stop(), stripped?.stop()]);
  rmSync(home, { recursive: true, force: true });
});

/** A check's line and the lines indented under it, in order. */
const checkLines = (...lines: RegExp[]): RegExp => new RegExp(lines.map((l) => l.source).join("\\n {4}"));

const marks = (stdout: string, mark: "✔" | "✖" | "‼"): string[] =>
  stdout
    .split("\n")
    .filter((l) => l.startsWith(mark))
    .map((l) => l.slice(2));

describe("meshql check: the backend", () => {
  it("passes on a backend with every mesh's series, with ✔ per check and exit code 0", async () => {
    const r = await meshql(["check", "--prometheus-url", full.url, "--scrape-interval", `${STEP}s`], env);
    assert.equal(r.status, 0, r.stdout + r.stderr);
    assert.deepEqual(marks(r.stdout, "✖"), []);
    const passed = marks(r.stdout, "✔");
    assert.ok(passed.includes("mesh metrics are present (found linkerd, istio, consul)"), passed.join("\n"));
    for (const mesh of ["linkerd", "istio", "consul"]) {
      assert.ok(passed.includes(`${mesh}: the scrape interval matches --scrape-interval (samples ${STEP}s apart)`), passed.join("\n"));
      assert.ok(passed.includes(`${mesh}: the labels meshql needs are present`), passed.join("\n"));
    }
    assert.match(r.stdout, /no cluster configured .*: skipped/);
    assert.match(r.stdout, /Status check results are ✔/);
  });

  it("fails a --scrape-interval that the samples contradict, and says which to pass", async () => {
    const r = await meshql(
      ["check", "--prometheus-url", full.url, "--mesh", "linkerd", "--scrape-interval", "30s", "--default-window", "1m"],
      env,
    );
    assert.equal(r.status, 1);
    assert.match(
      r.stdout,
      checkLines(
        /✖ linkerd: the scrape interval matches --scrape-interval/,
        /response_total samples are 10s apart, but --scrape-interval is 30s/,
        /fix: pass --scrape-interval 10s/,
      ),
    );
  });

  it("names the labels a relabelling dropped, and the series that are missing", async () => {
    const r = await meshql(["check", "--prometheus-url", stripped.url], env);
    assert.equal(r.status, 1);
    assert.match(
      r.stdout,
      checkLines(
        /✖ linkerd: the labels meshql needs are present/,
        /missing: response_total without classification, tls; response_latency_ms_bucket \(no series\)/,
      ),
    );
  });

  it("fails --mesh for a mesh whose series are not there, naming what was found", async () => {
    const r = await meshql(["check", "--prometheus-url", stripped.url, "--mesh", "istio"], env);
    assert.equal(r.status, 1);
    assert.match(
      r.stdout,
      checkLines(
        /✖ --mesh istio has series in the backend/,
        /found series of linkerd only at http:\/\/127\.0\.0\.1:\d+/,
        /fix: pass --mesh linkerd or --mesh auto/,
      ),
    );
  });

  it("fails an unreachable backend, naming the URL without its credentials", async () => {
    const port = await freePort();
    const r = await meshql(["check", "--prometheus-url", `http://admin:hunter2@127.0.0.1:${port}`], env);
    assert.equal(r.status, 1);
    assert.match(r.stdout, new RegExp(`✖ the backend is reachable\\n {4}tried http://127\\.0\\.0\\.1:${port}/api/v1/query: `));
    assert.doesNotMatch(r.stdout + r.stderr, /hunter2/);
  });

  it("sends --prometheus-header with every query, as a multi-tenant frontend (Mimir, Cortex) needs", async () => {
    // A stand-in for a Mimir query frontend: 401 "no org id" without the tenant header, else the real Prometheus behind.
    const target = new URL(full.url);
    const tenants: (string | undefined)[] = [];
    const frontend = http.createServer((req, res) => {
      const tenant = req.headers["x-scope-orgid"] as string | undefined;
      tenants.push(tenant);
      if (!tenant) return void res.writeHead(401, { "content-type": "text/plain" }).end("no org id\n");
      const upstream = http.request(
        { host: target.hostname, port: target.port, path: req.url, method: req.method, headers: req.headers },
        (answer) => {
          res.writeHead(answer.statusCode ?? 502, answer.headers);
          answer.pipe(res);
        },
      );
      req.pipe(upstream);
    });
    await new Promise<void>((resolve) => frontend.listen(0, "127.0.0.1", resolve));
    try {
      const url = `http://127.0.0.1:${(frontend.address() as AddressInfo).port}`;
      const args = ["check", "--prometheus-url", url, "--mesh", "linkerd", "--scrape-interval", `${STEP}s`];
      const refused = await meshql(args, env);
      assert.equal(refused.status, 1);
      assert.match(refused.stdout, /✖ the backend speaks the Prometheus HTTP API/);
      tenants.length = 0;
      const r = await meshql([...args, "--prometheus-header", "X-Scope-OrgID: team-a"], env);
      assert.equal(r.status, 0, r.stdout + r.stderr);
      assert.match(r.stdout, /✔ linkerd: the labels meshql needs are present/);
      assert.ok(tenants.length > 3, `${tenants.length} queries`);
      assert.deepEqual(new Set(tenants), new Set(["team-a"]));
    } finally {
      frontend.closeAllConnections();
      frontend.close();
    }
  });

  it("fails a server that is not a Prometheus API", async () => {
    const server = http.createServer((_, res) => res.writeHead(200, { "content-type": "text/html" }).end("<html>hello</html>"));
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    try {
      const r = await meshql(["check", "--prometheus-url", `http://127.0.0.1:${(server.address() as AddressInfo).port}`], env);
      assert.equal(r.status, 1);
      assert.match(r.stdout, /✔ the backend is reachable/);
      assert.match(r.stdout, /✖ the backend speaks the Prometheus HTTP API\n {4}tried http:\/\/127\.0\.0\.1:\d+\/api\/v1\/query: /);
    } finally {
      server.close();
    }
  });
});

describe("meshql check: the cluster, against the loopback fake API server", () => {
  let kube: FakeKubeApiServer;
  let pki: TestPki;
  let kubeconfig: string;
  const TOKEN = "meshql-sa-token";

  before(async () => {
    pki = makeTestPki();
    kube = await FakeKubeApiServer.start({ clientToken: TOKEN });
    kube.users.set(TOKEN, { username: "system:serviceaccount:meshql:meshql", groups: ["system:serviceaccounts"] });
    kubeconfig = join(home, "kubeconfig.json");
    writeFileSync(
      kubeconfig,
      JSON.stringify({
        apiVersion: "v1",
        kind: "Config",
        clusters: [{ name: "fake", cluster: { server: kube.url, "insecure-skip-tls-verify": true } }],
        users: [{ name: "meshql", user: { token: TOKEN } }],
        contexts: [{ name: "fake", context: { cluster: "fake", user: "meshql" } }],
        "current-context": "fake",
      }),
    );
  });

  after(async () => {
    await kube?.close();
    pki?.cleanup();
  });

  const args = (cert: { certFile: string; keyFile: string }): string[] => [
    "check",
    "--prometheus-url",
    full.url,
    "--scrape-interval",
    `${STEP}s`,
    "--kubeconfig",
    kubeconfig,
    "--tls-cert-file",
    cert.certFile,
    "--tls-private-key-file",
    cert.keyFile,
  ];

  function installed(available: "True" | "False"): void {
    kube.apiServices.set("v1alpha1.metrics.smi-spec.io", {
      spec: {
        group: "metrics.smi-spec.io",
        version: "v1alpha1",
        service: { namespace: "meshql", name: "meshql", port: 443 },
        caBundle: Buffer.from(pki.servingCA.cert).toString("base64"),
        groupPriorityMinimum: 100,
        versionPriority: 100,
      },
      status: {
        conditions: [
          available === "True"
            ? { type: "Available", status: "True", reason: "Passed", message: "all checks passed" }
            : {
                type: "Available",
                status: "False",
                reason: "MissingEndpoints",
                message: 'endpoints for service/meshql in "meshql" have no addresses with port name "https"',
              },
        ],
      },
    });
    kube.authConfigMap = { "requestheader-client-ca-file": pki.frontProxyCA.cert, "requestheader-allowed-names": '["front-proxy-client"]' };
    kube.sarRules.length = 0;
    kube.sarRules.push(
      {
        user: "system:serviceaccount:meshql:meshql",
        apiGroup: "authentication.k8s.io",
        resource: "tokenreviews",
        verb: "create",
        allowed: true,
      },
      {
        user: "system:serviceaccount:meshql:meshql",
        apiGroup: "authorization.k8s.io",
        resource: "subjectaccessreviews",
        verb: "create",
        allowed: true,
      },
    );
  }

  it("passes when everything is in place, warning about a certificate near expiry", async () => {
    installed("True");
    const r = await meshql(args(pki.server), env);
    assert.equal(r.status, 0, r.stdout + r.stderr);
    const passed = marks(r.stdout, "✔");
    for (const title of [
      "the APIService v1alpha1.metrics.smi-spec.io is Available",
      "meshql may create tokenreviews.authentication.k8s.io",
      "meshql may create subjectaccessreviews.authorization.k8s.io",
    ])
      assert.ok(passed.includes(title), `${title} in\n${r.stdout}`);
    assert.ok(
      passed.some((l) => l.startsWith("the requestheader (front-proxy) configuration is readable")),
      r.stdout,
    );
    // The test CA signs for two days: valid, signed by the caBundle, but near expiry.
    assert.match(r.stdout, /‼ the serving certificate is valid\n {4}\S+ expires in [01] days/);
  });

  it("fails each missing piece and says what to do", async () => {
    installed("False");
    kube.authConfigMap = null;
    kube.sarRules.length = 0;
    const r = await meshql(args(pki.clients.wrongCA), env);
    assert.equal(r.status, 1);
    const failed = marks(r.stdout, "✖");
    assert.deepEqual(failed, [
      "the APIService v1alpha1.metrics.smi-spec.io is Available",
      "the serving certificate is valid",
      "the requestheader (front-proxy) configuration is readable",
      "meshql may create tokenreviews.authentication.k8s.io",
      "meshql may create subjectaccessreviews.authorization.k8s.io",
    ]);
    assert.match(r.stdout, /Available is False \(MissingEndpoints: /);
    assert.match(r.stdout, /is not signed by the APIService's caBundle/);
    assert.match(r.stdout, /fix: bind the ClusterRole system:auth-delegator to meshql's service account/);
    assert.match(r.stdout, /Status check results are ✖ \(5 failed\)/);
  });

  it("fails a missing APIService and an expired certificate", async () => {
    installed("True");
    kube.apiServices.clear();
    const r = await meshql(args(pki.clients.expired), env);
    assert.equal(r.status, 1);
    assert.match(
      r.stdout,
      checkLines(
        /✖ the APIService v1alpha1\.metrics\.smi-spec\.io exists/,
        /tried GET http:\/\/127\.0\.0\.1:\d+\/apis\/apiregistration\.k8s\.io\/v1\/apiservices\/v1alpha1\.metrics\.smi-spec\.io: .*404/,
      ),
    );
    assert.match(r.stdout, /✖ the serving certificate is valid\n {4}\S+ is valid from 2020-01-01/);
  });
});
