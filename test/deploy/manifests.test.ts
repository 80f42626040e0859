// Checks the deployment artifacts: the plain manifests in deploy/manifests,
// the Helm chart in deploy/helm/meshql, the Dockerfile and
// deploy/serving-cert.sh. No cluster and no Helm are needed: the manifests
// are parsed as YAML, and the chart is compared with them through its
// values.yaml and a light reading of its templates (whole-file `if` guards
// and a handful of name placeholders; not a template engine).

import { describe, test } from "node:test";
import assert from "node:assert/strict";
import { execFileSync, spawnSync } from "node:child_process";
import { X509Certificate } from "node:crypto";
import { existsSync, mkdtempSync, readFileSync, readdirSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { parse, parseAllDocuments } from "yaml";
import { KIND_INFO } from "../../src/domain/kinds.ts";

const ROOT = join(dirname(fileURLToPath(import.meta.url)), "..", "..");
const MANIFESTS = join(ROOT, "deploy", "manifests");
const CHART = join(ROOT, "deploy", "helm", "meshql");
const TEMPLATES = join(CHART, "templates");

/** The release the plain manifests were rendered for. */
const RELEASE = { name: "meshql", namespace: "meshql" };

const APISERVICE_NAME = "v1alpha1.metrics.smi-spec.io";
const SMI_GROUP = "metrics.smi-spec.io";

// A parsed Kubernetes object. Fields are read loosely, and checked by the tests.
// biome-ignore lint/suspicious/noExplicitAny: objects of every kind are walked field by field; the assertions are the type check.
type Obj = Record<string, any>;

interface Loaded {
  readonly file: string;
  readonly obj: Obj;
}

function readText(...parts: string[]): string {
  return readFileSync(join(...parts), "utf8");
}

function yamlFiles(dir: string): string[] {
  return readdirSync(dir)
    .filter((f) => f.endsWith(".yaml") || f.endsWith(".yml"))
    .sort();
}

function loadManifests(): Loaded[] {
  const out: Loaded[] = [];
  for (const file of yamlFiles(MANIFESTS)) {
    const docs = parseAllDocuments(readText(MANIFESTS, file));
    for (const doc of docs) {
      assert.deepEqual(
        doc.errors.map((e) => e.message),
        [],
        `${file}: YAML errors`,
      );
      const obj: unknown = doc.toJS();
      if (obj == null) continue;
      assert.ok(typeof obj === "object" && !Array.isArray(obj), `${file}: a document is not a mapping`);
      out.push({ file, obj: obj as Obj });
    }
  }
  return out;
}

const manifests = loadManifests();
const values = parse(readText(CHART, "values.yaml")) as Obj;
const chart = parse(readText(CHART, "Chart.yaml")) as Obj;
const pkg = JSON.parse(readText(ROOT, "package.json")) as Obj;

function find(kind: string, name: string, namespace?: string): Obj {
  const hits = manifests.filter(
    ({ obj }) => obj.kind === kind && obj.metadata?.name === name && (namespace === undefined || obj.metadata?.namespace === namespace),
  );
  assert.equal(hits.length, 1, `expected exactly one ${kind} ${namespace ? `${namespace}/` : ""}${name}, found ${hits.length}`);
  return hits[0]!.obj;
}

// ---------------------------------------------------------------------------
// Kubernetes API facts

/** Kinds these artifacts may contain, with the API version current Kubernetes serves and their scope. */
const SERVED: Readonly<Record<string, { apiVersion: string; namespaced: boolean }>> = {
  Namespace: { apiVersion: "v1", namespaced: false },
  ServiceAccount: { apiVersion: "v1", namespaced: true },
  ConfigMap: { apiVersion: "v1", namespaced: true },
  Secret: { apiVersion: "v1", namespaced: true },
  Service: { apiVersion: "v1", namespaced: true },
  Deployment: { apiVersion: "apps/v1", namespaced: true },
  PodDisruptionBudget: { apiVersion: "policy/v1", namespaced: true },
  ClusterRole: { apiVersion: "rbac.authorization.k8s.io/v1", namespaced: false },
  ClusterRoleBinding: { apiVersion: "rbac.authorization.k8s.io/v1", namespaced: false },
  Role: { apiVersion: "rbac.authorization.k8s.io/v1", namespaced: true },
  RoleBinding: { apiVersion: "rbac.authorization.k8s.io/v1", namespaced: true },
  APIService: { apiVersion: "apiregistration.k8s.io/v1", namespaced: false },
  Issuer: { apiVersion: "cert-manager.io/v1", namespaced: true },
  Certificate: { apiVersion: "cert-manager.io/v1", namespaced: true },
};

/** Group/versions that Kubernetes no longer serves. */
const REMOVED = new Set([
  "extensions/v1beta1",
  "apps/v1beta1",
  "apps/v1beta2",
  "policy/v1beta1",
  "rbac.authorization.k8s.io/v1alpha1",
  "rbac.authorization.k8s.io/v1beta1",
  "apiregistration.k8s.io/v1beta1",
  "apiextensions.k8s.io/v1beta1",
  "admissionregistration.k8s.io/v1beta1",
  "batch/v1beta1",
  "cert-manager.io/v1alpha2",
  "cert-manager.io/v1alpha3",
  "cert-manager.io/v1beta1",
]);

const DNS1123_LABEL = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;
const DNS1123_SUBDOMAIN = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;
/** RBAC object names are path segments: anything but "/", "%", "." and "..". */
const RBAC_NAME = /^[^/%]+$/;

function checkNameShape(kind: string, name: string): void {
  if (kind.startsWith("Cluster") || kind === "Role" || kind === "RoleBinding") {
    assert.match(name, RBAC_NAME, `${kind} ${name}: bad name`);
    assert.ok(name !== "." && name !== "..", `${kind} ${name}: bad name`);
  } else if (kind === "Namespace" || kind === "Service") {
    assert.match(name, DNS1123_LABEL, `${kind} ${name}: not a DNS-1123 label`);
    assert.ok(name.length <= 63, `${kind} ${name}: longer than 63`);
  } else {
    assert.match(name, DNS1123_SUBDOMAIN, `${kind} ${name}: not a DNS-1123 subdomain`);
    assert.ok(name.length <= 253, `${kind} ${name}: longer than 253`);
  }
}

type Rule = { apiGroups?: string[]; resources?: string[]; verbs?: string[]; resourceNames?: string[] };

function allows(rules: Rule[], group: string, resource: string, verb: string): boolean {
  return rules.some(
    (r) =>
      (r.apiGroups ?? []).includes(group) &&
      (r.resources ?? []).includes(resource) &&
      (r.verbs ?? []).includes(verb) &&
      (r.resourceNames ?? []).length === 0,
  );
}

/** The API group that serves each kind meshql reports on. */
const KIND_GROUP: Readonly<Record<string, string>> = {
  Namespace: "",
  Pod: "",
  Deployment: "apps",
  DaemonSet: "apps",
  StatefulSet: "apps",
  ReplicaSet: "apps",
  Job: "batch",
};

function boundTo(binding: Obj, sa: { name: string; namespace: string }): boolean {
  return (binding.subjects ?? []).some((s: Obj) => s.kind === "ServiceAccount" && s.name === sa.name && s.namespace === sa.namespace);
}

// ---------------------------------------------------------------------------
// Plain manifests

describe("plain manifests: every object", () => {
  test("there are manifests to check", () => {
    assert.ok(manifests.length >= 12, `only ${manifests.length} objects in deploy/manifests`);
  });

  test("has apiVersion, kind, metadata.name, and a namespace exactly when namespaced", () => {
    for (const { file, obj } of manifests) {
      const where = `${file} ${obj.kind}/${obj.metadata?.name}`;
      assert.equal(typeof obj.apiVersion, "string", `${where}: apiVersion`);
      assert.equal(typeof obj.kind, "string", `${where}: kind`);
      assert.equal(typeof obj.metadata?.name, "string", `${where}: metadata.name`);
      checkNameShape(obj.kind, obj.metadata.name);
      const known = SERVED[obj.kind];
      assert.ok(known, `${where}: kind ${obj.kind} is not one these tests know`);
      if (known.namespaced) {
        assert.equal(typeof obj.metadata.namespace, "string", `${where}: namespaced, needs metadata.namespace`);
        assert.match(obj.metadata.namespace, DNS1123_LABEL, `${where}: namespace`);
      } else {
        assert.equal(obj.metadata.namespace, undefined, `${where}: cluster-scoped, must not set metadata.namespace`);
      }
    }
  });

  test("uses API versions current Kubernetes serves", () => {
    for (const { file, obj } of manifests) {
      assert.ok(!REMOVED.has(obj.apiVersion), `${file}: ${obj.kind} uses removed API ${obj.apiVersion}`);
      assert.equal(obj.apiVersion, SERVED[obj.kind]?.apiVersion, `${file}: ${obj.kind} apiVersion`);
    }
  });

  test("has no duplicate objects", () => {
    const keys = manifests.map(({ obj }) => `${obj.kind}/${obj.metadata.namespace ?? ""}/${obj.metadata.name}`);
    assert.deepEqual([...new Set(keys)].sort(), [...keys].sort());
  });

  test("namespaced objects live in the release namespace, except the kube-system RoleBinding", () => {
    for (const { obj } of manifests) {
      const ns = obj.metadata.namespace;
      if (ns === undefined) continue;
      if (obj.kind === "RoleBinding" && ns === "kube-system") continue;
      assert.equal(ns, RELEASE.namespace, `${obj.kind}/${obj.metadata.name}`);
    }
    find("Namespace", RELEASE.namespace);
  });

  test("ships no Secret: no private key in the repository", () => {
    assert.deepEqual(
      manifests.filter(({ obj }) => obj.kind === "Secret").map(({ file }) => file),
      [],
    );
  });
});

describe("plain manifests: APIService", () => {
  const api = find("APIService", APISERVICE_NAME);

  test("registers metrics.smi-spec.io/v1alpha1 on apiregistration.k8s.io/v1", () => {
    assert.equal(api.apiVersion, "apiregistration.k8s.io/v1");
    assert.equal(api.spec.group, SMI_GROUP);
    assert.equal(api.spec.version, "v1alpha1");
    assert.equal(api.metadata.name, `${api.spec.version}.${api.spec.group}`);
    assert.ok(Number.isInteger(api.spec.groupPriorityMinimum) && api.spec.groupPriorityMinimum > 0);
    assert.ok(Number.isInteger(api.spec.versionPriority) && api.spec.versionPriority > 0);
  });

  test("points at the Service's port", () => {
    const svc = find("Service", api.spec.service.name, api.spec.service.namespace);
    assert.equal(api.spec.service.port, 443);
    assert.ok(
      svc.spec.ports.some((p: Obj) => p.port === api.spec.service.port),
      "the Service has no port the APIService names",
    );
  });

  test("verifies the server's certificate", () => {
    assert.notEqual(api.spec.insecureSkipTLSVerify, true, "insecureSkipTLSVerify must not be set");
    const injected = api.metadata.annotations?.["cert-manager.io/inject-ca-from"];
    if (api.spec.caBundle !== undefined) {
      const pem = Buffer.from(String(api.spec.caBundle), "base64").toString("utf8");
      assert.match(pem, /^-----BEGIN CERTIFICATE-----/, "caBundle must be a base64 PEM certificate");
    } else if (injected === undefined) {
      // The default: deploy/serving-cert.sh patches the CA in after apply.
      assert.equal(values.apiService.caBundle, "", "values.yaml sets a caBundle the plain APIService lacks");
      assert.equal(values.certManager.enabled, false);
    }
  });
});

describe("plain manifests: Deployment", () => {
  const dep = find("Deployment", RELEASE.name, RELEASE.namespace);
  const pod = dep.spec.template.spec as Obj;
  const containers = pod.containers as Obj[];
  const c = containers[0] as Obj;

  test("runs 2 replicas of one container, with a selector matching its pods", () => {
    assert.equal(dep.spec.replicas, 2);
    assert.equal(containers.length, 1);
    for (const [k, v] of Object.entries(dep.spec.selector.matchLabels as Record<string, string>)) {
      assert.equal(dep.spec.template.metadata.labels[k], v, `pod label ${k}`);
    }
  });

  test("does not take both replicas down in a rollout", () => {
    assert.equal(dep.spec.strategy?.rollingUpdate?.maxUnavailable, 0);
  });

  test("spreads the replicas over nodes", () => {
    const spread = (pod.topologySpreadConstraints ?? []) as Obj[];
    const anti = pod.affinity?.podAntiAffinity;
    const byHost = spread.find((s) => s.topologyKey === "kubernetes.io/hostname");
    assert.ok(byHost || anti, "needs topologySpreadConstraints or podAntiAffinity");
    if (byHost) {
      for (const [k, v] of Object.entries(byHost.labelSelector.matchLabels as Record<string, string>)) {
        assert.equal(dep.spec.template.metadata.labels[k], v, `spread selector label ${k}`);
      }
    }
  });

  test("runs as non-root 65532, read-only, no privilege escalation, no capabilities, RuntimeDefault seccomp", () => {
    const psc = pod.securityContext as Obj;
    const csc = c.securityContext as Obj;
    assert.equal(psc.runAsNonRoot, true);
    assert.equal(psc.runAsUser, 65532);
    assert.equal(psc.seccompProfile?.type, "RuntimeDefault");
    assert.equal(csc.runAsNonRoot, true);
    assert.equal(csc.runAsUser, 65532);
    assert.equal(csc.readOnlyRootFilesystem, true);
    assert.equal(csc.allowPrivilegeEscalation, false);
    assert.notEqual(csc.privileged, true);
    assert.deepEqual(csc.capabilities?.drop, ["ALL"]);
    assert.equal(csc.capabilities?.add, undefined);
    assert.equal(csc.seccompProfile?.type, "RuntimeDefault");
    assert.notEqual(pod.hostNetwork, true);
    assert.notEqual(pod.hostPID, true);
  });

  test("sets requests and limits for cpu and memory", () => {
    for (const part of ["requests", "limits"]) {
      for (const res of ["cpu", "memory"]) {
        assert.ok(c.resources?.[part]?.[res] !== undefined, `resources.${part}.${res}`);
      }
    }
  });

  test("has startup, liveness and readiness probes over HTTPS on the serving port", () => {
    const port = (c.ports as Obj[]).find((p) => p.name === "https");
    assert.ok(port, "container port named https");
    const expected: Record<string, string> = { startupProbe: "/livez", livenessProbe: "/livez", readinessProbe: "/readyz" };
    for (const [probe, path] of Object.entries(expected)) {
      const get = c[probe]?.httpGet as Obj | undefined;
      assert.ok(get, `${probe}.httpGet`);
      assert.equal(get.scheme, "HTTPS", `${probe} scheme`);
      assert.equal(get.path, path, `${probe} path`);
      assert.ok(get.port === "https" || get.port === port.containerPort, `${probe} port`);
    }
  });

  test("listens where the Service, the probes and the ConfigMap say", () => {
    const port = (c.ports as Obj[]).find((p) => p.name === "https")!;
    const svc = find("Service", RELEASE.name, RELEASE.namespace);
    const sp = (svc.spec.ports as Obj[])[0]!;
    assert.equal(sp.port, 443);
    assert.ok(sp.targetPort === "https" || sp.targetPort === port.containerPort, "Service targetPort");
    for (const [k, v] of Object.entries(svc.spec.selector as Record<string, string>)) {
      assert.equal(dep.spec.template.metadata.labels[k], v, `Service selector label ${k}`);
    }
    const cm = find("ConfigMap", c.envFrom[0].configMapRef.name, RELEASE.namespace);
    assert.match(cm.data.MESHQL_LISTEN, new RegExp(`:${port.containerPort}$`), "MESHQL_LISTEN port");
  });

  test("takes its settings from the ConfigMap", () => {
    const refs = ((c.envFrom ?? []) as Obj[]).map((e) => e.configMapRef?.name).filter(Boolean);
    assert.equal(refs.length, 1, "one envFrom configMapRef");
    const cm = find("ConfigMap", refs[0], RELEASE.namespace);
    for (const key of [
      "MESHQL_MESH",
      "MESHQL_PROMETHEUS_URL",
      "MESHQL_DEFAULT_WINDOW",
      "MESHQL_LISTEN",
      "MESHQL_LOG_LEVEL",
      "MESHQL_LOG_FORMAT",
    ]) {
      assert.equal(typeof cm.data?.[key], "string", `ConfigMap ${key}`);
    }
    assert.match(cm.data.MESHQL_MESH, /^(auto|linkerd|istio|consul)$/);
    assert.doesNotThrow(() => new URL(cm.data.MESHQL_PROMETHEUS_URL));
    assert.match(cm.data.MESHQL_DEFAULT_WINDOW, /^(\d+d)?(\d+h)?(\d+m)?(\d+s)?$/);
    assert.equal(cm.data.MESHQL_LOG_FORMAT, "json", "log collectors read JSON lines");
  });

  test("mounts the serving certificate read-only where its flags point, and an emptyDir at /tmp", () => {
    const volumes = pod.volumes as Obj[];
    const mounts = c.volumeMounts as Obj[];
    const certVol = volumes.find((v) => v.secret);
    assert.ok(certVol, "a Secret volume");
    const certMount = mounts.find((m) => m.name === certVol.name);
    assert.ok(certMount, "the Secret volume is mounted");
    assert.equal(certMount.readOnly, true);
    const args = c.args as string[];
    assert.equal(args[0], "serve", "args start with the serve command (they replace the image's CMD)");
    for (const flag of ["--tls-cert-file", "--tls-private-key-file"]) {
      const arg = args.find((a) => a.startsWith(`${flag}=`));
      assert.ok(arg, flag);
      assert.ok(arg.slice(flag.length + 1).startsWith(`${certMount.mountPath}/`), `${flag} is under ${certMount.mountPath}`);
    }
    const tmp = mounts.find((m) => m.mountPath === "/tmp");
    assert.ok(tmp, "/tmp mount");
    assert.ok(volumes.find((v) => v.name === tmp.name)?.emptyDir, "/tmp is an emptyDir");
  });

  test("runs as its ServiceAccount", () => {
    assert.equal(pod.automountServiceAccountToken, true);
    find("ServiceAccount", pod.serviceAccountName, RELEASE.namespace);
  });

  test("is covered by a policy/v1 PodDisruptionBudget with minAvailable 1", () => {
    const pdb = find("PodDisruptionBudget", RELEASE.name, RELEASE.namespace);
    assert.equal(pdb.apiVersion, "policy/v1");
    assert.equal(pdb.spec.minAvailable, 1);
    assert.ok(pdb.spec.minAvailable < dep.spec.replicas, "minAvailable below replicas, or nodes never drain");
    for (const [k, v] of Object.entries(pdb.spec.selector.matchLabels as Record<string, string>)) {
      assert.equal(dep.spec.template.metadata.labels[k], v, `PDB selector label ${k}`);
    }
  });
});

describe("plain manifests: RBAC", () => {
  const sa = { name: RELEASE.name, namespace: RELEASE.namespace };
  const role = find("ClusterRole", RELEASE.name);
  const rules = role.rules as Rule[];

  test("the server may get, list and watch every kind it reports on", () => {
    for (const info of Object.values(KIND_INFO)) {
      const group = KIND_GROUP[info.kubeKind];
      assert.ok(group !== undefined, `no API group known for ${info.kubeKind}: add it to KIND_GROUP and the ClusterRole`);
      for (const verb of ["get", "list", "watch"]) {
        assert.ok(allows(rules, group, info.plural, verb), `${verb} ${group || "core"}/${info.plural}`);
      }
    }
  });

  test("the server may create tokenreviews and subjectaccessreviews", () => {
    assert.ok(allows(rules, "authentication.k8s.io", "tokenreviews", "create"));
    assert.ok(allows(rules, "authorization.k8s.io", "subjectaccessreviews", "create"));
  });

  test("the server's ClusterRole grants nothing more", () => {
    for (const r of rules) {
      for (const field of [r.apiGroups, r.resources, r.verbs]) assert.ok(!(field ?? []).includes("*"), "no wildcards");
      assert.ok(!(r.resources ?? []).includes("secrets"), "no secrets");
      for (const verb of r.verbs ?? []) {
        const review = (r.resources ?? []).every((x) => x === "tokenreviews" || x === "subjectaccessreviews");
        assert.ok(review ? verb === "create" : ["get", "list", "watch"].includes(verb), `verb ${verb}`);
      }
    }
  });

  test("the ClusterRole is bound to the ServiceAccount", () => {
    const b = find("ClusterRoleBinding", RELEASE.name);
    assert.deepEqual(b.roleRef, { apiGroup: "rbac.authorization.k8s.io", kind: "ClusterRole", name: role.metadata.name });
    assert.ok(boundTo(b, sa));
  });

  test("system:auth-delegator is bound to the ServiceAccount", () => {
    const hits = manifests.filter(
      ({ obj }) =>
        obj.kind === "ClusterRoleBinding" && obj.roleRef?.kind === "ClusterRole" && obj.roleRef?.name === "system:auth-delegator",
    );
    assert.equal(hits.length, 1);
    assert.equal(hits[0]!.obj.roleRef.apiGroup, "rbac.authorization.k8s.io");
    assert.ok(boundTo(hits[0]!.obj, sa));
  });

  test("extension-apiserver-authentication-reader is bound in kube-system", () => {
    const hits = manifests.filter(
      ({ obj }) => obj.kind === "RoleBinding" && obj.roleRef?.name === "extension-apiserver-authentication-reader",
    );
    assert.equal(hits.length, 1);
    const b = hits[0]!.obj;
    assert.equal(b.metadata.namespace, "kube-system");
    assert.equal(b.roleRef.kind, "Role");
    assert.equal(b.roleRef.apiGroup, "rbac.authorization.k8s.io");
    assert.ok(boundTo(b, sa));
  });

  test("meshql-metrics-reader reads every SMI resource and its edges, and nothing else", () => {
    const reader = find("ClusterRole", `${RELEASE.name}-metrics-reader`);
    assert.equal(reader.metadata.labels?.["rbac.authorization.k8s.io/aggregate-to-view"], "true");
    const rr = reader.rules as Rule[];
    for (const info of Object.values(KIND_INFO)) {
      for (const resource of [info.plural, `${info.plural}/edges`]) {
        for (const verb of ["get", "list"]) assert.ok(allows(rr, SMI_GROUP, resource, verb), `${verb} ${resource}`);
      }
    }
    for (const r of rr) {
      assert.deepEqual(r.apiGroups, [SMI_GROUP]);
      assert.deepEqual([...(r.verbs ?? [])].sort(), ["get", "list"]);
    }
  });
});

// ---------------------------------------------------------------------------
// Chart

/** Reads `.Values.a.b` from values.yaml; undefined when a key is missing. */
function valueAt(path: string): unknown {
  let cur: unknown = values;
  for (const key of path.split(".").filter(Boolean)) {
    if (cur === null || typeof cur !== "object" || !(key in (cur as object))) return undefined;
    cur = (cur as Obj)[key];
  }
  return cur;
}

/** Go template truthiness. */
function truthy(v: unknown): boolean {
  if (v === undefined || v === null || v === false || v === 0 || v === "") return false;
  if (Array.isArray(v)) return v.length > 0;
  if (typeof v === "object") return Object.keys(v as object).length > 0;
  return true;
}

/** Evaluates the conditions the templates use as whole-file guards. */
function evalCondition(expr: string): boolean {
  const words = expr.trim().split(/\s+/);
  const head = words[0];
  const arg = (w: string): boolean => {
    if (!w.startsWith(".Values.")) throw new Error(`cannot evaluate guard operand ${w}`);
    return truthy(valueAt(w.slice(".Values.".length)));
  };
  if (words.length === 1 && head) return arg(head);
  const rest = words.slice(1);
  if (head === "and") return rest.every(arg);
  if (head === "or") return rest.some(arg);
  if (head === "not" && rest.length === 1) return !arg(rest[0]!);
  throw new Error(`cannot evaluate guard {{ if ${expr} }}`);
}

const ACTION = /\{\{-?\s*(.*?)\s*-?\}\}/gs;

function actions(text: string): { body: string; index: number; end: number }[] {
  return [...text.matchAll(ACTION)].map((m) => ({ body: m[1]!, index: m.index!, end: m.index! + m[0].length }));
}

/** If the whole file sits in one `{{ if COND }} ... {{ end }}`, returns COND and the inner text. */
function wholeFileGuard(text: string): { cond: string; inner: string } | undefined {
  const acts = actions(text);
  const first = acts[0];
  if (!first?.body.startsWith("if ")) return undefined;
  const before = text
    .slice(0, first.index)
    .replace(/^\s*#.*$/gm, "")
    .trim();
  if (before !== "") return undefined;
  let depth = 0;
  for (const a of acts) {
    if (/^(if|with|range|define|block)\b/.test(a.body)) depth++;
    else if (a.body === "end") {
      depth--;
      if (depth === 0) {
        if (text.slice(a.end).trim() !== "") return undefined;
        return { cond: first.body.slice(3), inner: text.slice(first.end, a.index) };
      }
    }
  }
  return undefined;
}

/** The few placeholders object names are built from, as the default release renders them. */
function substituteNames(text: string): string {
  const fullname = RELEASE.name;
  return text
    .replaceAll(/\{\{-?\s*include "meshql\.fullname" \.\s*-?\}\}/g, fullname)
    .replaceAll(/\{\{-?\s*\$fullname\s*-?\}\}/g, fullname)
    .replaceAll(/\{\{-?\s*include "meshql\.serviceAccountName" \.\s*-?\}\}/g, fullname)
    .replaceAll(/\{\{-?\s*include "meshql\.servingCertSecretName" \.\s*-?\}\}/g, `${fullname}-serving-cert`)
    .replaceAll(/\{\{-?\s*\.Release\.Namespace\s*-?\}\}/g, RELEASE.namespace);
}

interface TemplateObject {
  readonly template: string;
  readonly kind: string;
  readonly name: string;
  readonly namespace: string | undefined;
}

/** The objects a template renders with the default values, by kind, name and namespace. */
function templateObjects(file: string): TemplateObject[] {
  let text = readText(TEMPLATES, file);
  const guard = wholeFileGuard(text);
  if (guard) {
    if (!evalCondition(guard.cond)) return [];
    text = guard.inner;
  }
  const out: TemplateObject[] = [];
  for (const doc of substituteNames(text).split(/^---\s*$/m)) {
    const kind = /^kind:\s*(\S+)\s*$/m.exec(doc)?.[1];
    if (!kind) continue;
    const meta = /^metadata:\s*\n((?:(?: {2,}.*)?\n)*)/m.exec(doc)?.[1] ?? "";
    const name = /^ {2}name:\s*(.+?)\s*$/m.exec(meta)?.[1];
    const namespace = /^ {2}namespace:\s*(.+?)\s*$/m.exec(meta)?.[1];
    assert.ok(name, `${file}: ${kind} has no metadata.name`);
    assert.ok(!name.includes("{{"), `${file}: ${kind} name ${name} uses a placeholder these tests cannot substitute`);
    out.push({ template: file, kind, name, namespace });
  }
  return out;
}

const templateFiles = yamlFiles(TEMPLATES);

describe("chart", () => {
  test("Chart.yaml is a v2 application chart whose appVersion is the package version", () => {
    assert.equal(chart.apiVersion, "v2");
    assert.equal(chart.name, "meshql");
    assert.equal(chart.type ?? "application", "application");
    assert.match(String(chart.version), /^\d+\.\d+\.\d+/);
    assert.equal(String(chart.appVersion), pkg.version);
  });

  test("has the expected templates and helpers", () => {
    const all = readdirSync(TEMPLATES);
    assert.ok(all.includes("_helpers.tpl"));
    assert.ok(all.includes("NOTES.txt"));
    for (const kind of [
      "APIService",
      "Service",
      "Deployment",
      "PodDisruptionBudget",
      "ServiceAccount",
      "ConfigMap",
      "ClusterRole",
      "ClusterRoleBinding",
      "RoleBinding",
    ]) {
      assert.ok(
        templateFiles.some((f) => new RegExp(`^kind:\\s*${kind}\\s*$`, "m").test(readText(TEMPLATES, f))),
        `no template renders a ${kind}`,
      );
    }
  });

  test("template actions are balanced", () => {
    for (const file of readdirSync(TEMPLATES)) {
      const text = readText(TEMPLATES, file);
      assert.equal((text.match(/\{\{/g) ?? []).length, (text.match(/\}\}/g) ?? []).length, `${file}: {{ and }}`);
      let depth = 0;
      for (const a of actions(text)) {
        if (/^(if|with|range|define|block)\b/.test(a.body)) depth++;
        else if (a.body === "end") depth--;
        assert.ok(depth >= 0, `${file}: {{ end }} without an opening action`);
      }
      assert.equal(depth, 0, `${file}: unclosed if/with/range/define`);
    }
  });

  test("every .Values reference exists in values.yaml", () => {
    for (const file of readdirSync(TEMPLATES)) {
      for (const m of readText(TEMPLATES, file).matchAll(/\.Values((?:\.[A-Za-z_][A-Za-z0-9_]*)+)/g)) {
        assert.notEqual(valueAt(m[1]!), undefined, `${file}: .Values${m[1]} is not in values.yaml`);
      }
    }
  });

  test("every rendered template object has a plain counterpart, and every plain object a template", () => {
    const rendered = templateFiles.flatMap(templateObjects);
    const key = (kind: string, name: string, ns: string | undefined) => `${kind} ${ns ?? "-"}/${name}`;
    const fromChart = rendered.map((o) => key(o.kind, o.name, o.namespace)).sort();
    const plain = manifests
      .map(({ obj }) => obj)
      // Helm creates the release namespace (--create-namespace); the plain files must.
      .filter((o) => !(o.kind === "Namespace" && o.metadata.name === RELEASE.namespace))
      .map((o) => key(o.kind, o.metadata.name, o.metadata.namespace))
      .sort();
    assert.deepEqual(plain, fromChart);
  });

  test("templates use only API versions current Kubernetes serves", () => {
    for (const file of templateFiles) {
      for (const m of readText(TEMPLATES, file).matchAll(/^apiVersion:\s*(\S+)\s*$/gm)) {
        assert.ok(!REMOVED.has(m[1]!), `${file}: removed API ${m[1]}`);
        assert.ok(
          Object.values(SERVED).some((s) => s.apiVersion === m[1]),
          `${file}: unknown apiVersion ${m[1]}`,
        );
      }
    }
  });

  test("the APIService takes caBundle from values and offers cert-manager CA injection", () => {
    const text = readText(TEMPLATES, "apiservice.yaml");
    assert.match(text, /\.Values\.apiService\.caBundle/);
    assert.match(text, /cert-manager\.io\/inject-ca-from:/);
    assert.match(text, /name:\s*v1alpha1\.metrics\.smi-spec\.io/);
    assert.doesNotMatch(text, /insecureSkipTLSVerify/);
  });
});

describe("plain manifests agree with values.yaml", () => {
  const dep = find("Deployment", RELEASE.name, RELEASE.namespace);
  const pod = dep.spec.template.spec as Obj;
  const c = (pod.containers as Obj[])[0]!;
  const cm = find("ConfigMap", RELEASE.name, RELEASE.namespace);

  test("image", () => {
    const tag = values.image.tag || String(chart.appVersion);
    assert.equal(c.image, `${values.image.repository}:${tag}`);
    assert.equal(c.imagePullPolicy, values.image.pullPolicy);
  });

  test("replicas", () => {
    assert.equal(dep.spec.replicas, values.replicaCount);
  });

  test("resources", () => {
    assert.deepEqual(c.resources, values.resources);
  });

  test("security contexts", () => {
    assert.deepEqual(pod.securityContext, values.podSecurityContext);
    assert.deepEqual(c.securityContext, values.containerSecurityContext);
  });

  test("mesh, Prometheus URL, default window, listen address and GraphQL IDE", () => {
    assert.equal(cm.data.MESHQL_MESH, values.mesh);
    assert.equal(cm.data.MESHQL_PROMETHEUS_URL, values.prometheus.url);
    assert.equal(cm.data.MESHQL_DEFAULT_WINDOW, values.defaultWindow);
    assert.equal(cm.data.MESHQL_LISTEN, `0.0.0.0:${values.containerPort}`);
    assert.equal(cm.data.MESHQL_LOG_LEVEL, values.logLevel);
    assert.equal(cm.data.MESHQL_LOG_FORMAT, values.logFormat);
    assert.equal(cm.data.MESHQL_GRAPHQL_IDE, String(values.graphqlIde));
  });

  test("backend headers and the concurrent-document limit", () => {
    assert.equal(cm.data.MESHQL_PROMETHEUS_HEADERS, (values.prometheus.headers as string[]).join("\n"));
    assert.equal(cm.data.MESHQL_MAX_CONCURRENT_DOCUMENTS, String(values.maxConcurrentDocuments));
  });

  test("ports", () => {
    assert.equal((c.ports as Obj[]).find((p) => p.name === "https")?.containerPort, values.containerPort);
    const svc = find("Service", RELEASE.name, RELEASE.namespace);
    assert.equal((svc.spec.ports as Obj[])[0]!.port, values.service.port);
    assert.equal(find("APIService", APISERVICE_NAME).spec.service.port, values.service.port);
  });

  test("APIService priorities and CA", () => {
    const api = find("APIService", APISERVICE_NAME);
    assert.equal(api.spec.groupPriorityMinimum, values.apiService.groupPriorityMinimum);
    assert.equal(api.spec.versionPriority, values.apiService.versionPriority);
    assert.equal(api.spec.caBundle ?? "", values.apiService.caBundle);
    assert.equal(api.metadata.annotations?.["cert-manager.io/inject-ca-from"] !== undefined, values.certManager.enabled);
  });

  test("serving certificate Secret name", () => {
    const vol = (pod.volumes as Obj[]).find((v) => v.secret);
    assert.equal(vol?.secret.secretName, values.tls.secretName || `${RELEASE.name}-serving-cert`);
  });

  test("PodDisruptionBudget", () => {
    const pdb = find("PodDisruptionBudget", RELEASE.name, RELEASE.namespace);
    assert.equal(pdb.spec.minAvailable, values.podDisruptionBudget.minAvailable);
  });

  test("topology spread", () => {
    const spread = (pod.topologySpreadConstraints ?? []) as Obj[];
    assert.equal(spread.length > 0, values.topologySpread.enabled);
    for (const s of spread) assert.equal(s.whenUnsatisfiable, values.topologySpread.whenUnsatisfiable);
  });

  test("metrics reader aggregation", () => {
    const reader = find("ClusterRole", `${RELEASE.name}-metrics-reader`);
    assert.equal(
      reader.metadata.labels?.["rbac.authorization.k8s.io/aggregate-to-view"] === "true",
      values.rbac.metricsReader.aggregateToView,
    );
  });

  test("app.kubernetes.io/version is the chart's appVersion", () => {
    for (const { obj } of manifests) {
      assert.equal(obj.metadata.labels?.["app.kubernetes.io/version"], String(chart.appVersion), `${obj.kind}/${obj.metadata.name}`);
    }
  });
});

// ---------------------------------------------------------------------------
// Dockerfile

interface Stage {
  readonly from: string;
  readonly name: string | undefined;
  readonly lines: string[];
}

function dockerStages(): { args: Map<string, string>; stages: Stage[] } {
  const text = readText(ROOT, "Dockerfile").replace(/\\\n/g, " ");
  const args = new Map<string, string>();
  const stages: Stage[] = [];
  for (const raw of text.split("\n")) {
    const line = raw.trim();
    if (line === "" || line.startsWith("#")) continue;
    const from = /^FROM\s+(\S+)(?:\s+AS\s+(\S+))?$/i.exec(line);
    if (from) {
      const image = from[1]!.replace(/\$\{(\w+)\}/g, (_, k: string) => args.get(k) ?? "");
      stages.push({ from: image, name: from[2], lines: [] });
      continue;
    }
    const arg = /^ARG\s+(\w+)=(\S+)$/.exec(line);
    if (arg && stages.length === 0) args.set(arg[1]!, arg[2]!);
    stages.at(-1)?.lines.push(line);
  }
  return { args, stages };
}

describe("Dockerfile", () => {
  const { stages } = dockerStages();
  const build = stages[0];
  const runtime = stages.at(-1);

  test("builds on node:24-bookworm-slim (the current LTS) in a separate stage", () => {
    assert.ok(stages.length >= 2, "multi-stage");
    assert.equal(build?.from, "node:24-bookworm-slim");
    const run = build!.lines.filter((l) => l.startsWith("RUN ")).join("\n");
    assert.match(run, /npm ci\b/);
    assert.match(run, /npm run build\b/);
    assert.match(run, /npm prune --omit=dev\b/);
  });

  test("the runtime stage copies dist, node_modules and package.json from the build", () => {
    assert.match(runtime!.from, /^node:24-/);
    const copies = runtime!.lines.filter((l) => /^COPY\s+--from=/.test(l)).join("\n");
    for (const p of ["/app/dist", "/app/node_modules", "/app/package.json"]) assert.ok(copies.includes(p), p);
  });

  test("runs node dist/cli.js serve as 65532:65532, the user the Deployment runs as", () => {
    const user = runtime!.lines.find((l) => l.startsWith("USER "));
    assert.equal(user, "USER 65532:65532");
    const entry = runtime!.lines.find((l) => l.startsWith("ENTRYPOINT "));
    const cmd = runtime!.lines.find((l) => l.startsWith("CMD "));
    assert.deepEqual(JSON.parse(entry!.slice("ENTRYPOINT ".length)), ["node", "dist/cli.js"]);
    assert.deepEqual(JSON.parse(cmd!.slice("CMD ".length)), ["serve"]);
    const pod = find("Deployment", RELEASE.name, RELEASE.namespace).spec.template.spec as Obj;
    assert.equal(pod.securityContext.runAsUser, 65532);
    assert.equal(pod.securityContext.runAsGroup, 65532);
  });

  test("the build writes dist/ from src/, so dist/cli.js comes from src/cli.ts", () => {
    const tsbuild = JSON.parse(readText(ROOT, "tsconfig.build.json")) as Obj;
    assert.equal(tsbuild.compilerOptions.outDir, "dist");
    assert.equal(tsbuild.compilerOptions.rootDir, "src");
    assert.match(pkg.scripts.build, /^tsc -p tsconfig\.build\.json && npm run build:web$/);
  });

  test("the build bundles the console and IDE into dist/web, which the image and the npm package ship", () => {
    assert.equal(pkg.scripts["build:web"], "vite build --config web/vite.config.ts");
    assert.match(readText(ROOT, "web", "vite.config.ts"), /outDir: here\("\.\.\/dist\/web"\)/);
    assert.ok(build!.lines.includes("COPY web ./web"), "the build stage has web/");
    assert.ok((pkg.files as string[]).includes("dist/"), "package.json files ships dist/ (git-ignored, so npm would leave it out)");
  });

  test("src/cli.ts exists", { skip: existsSync(join(ROOT, "src", "cli.ts")) ? false : "src/cli.ts is not written yet" }, () => {
    assert.ok(existsSync(join(ROOT, "src", "cli.ts")));
  });

  test(".dockerignore keeps the build inputs and drops local state", () => {
    const ignored = new Set(
      readText(ROOT, ".dockerignore")
        .split("\n")
        .map((l) => l.trim().replace(/\/$/, ""))
        .filter((l) => l !== "" && !l.startsWith("#")),
    );
    for (const p of ["node_modules", ".git", "dist"]) assert.ok(ignored.has(p), `${p} is ignored`);
    const sources = build!.lines
      .filter((l) => /^COPY\s/.test(l) && !/--from=/.test(l))
      .flatMap((l) =>
        l
          .replace(/^COPY\s+(--\S+\s+)*/, "")
          .split(/\s+/)
          .slice(0, -1),
      );
    assert.ok(sources.length > 0);
    for (const s of sources) {
      assert.ok(!ignored.has(s.replace(/^\.\//, "").replace(/\/$/, "")), `${s} is copied but ignored`);
      assert.ok(existsSync(join(ROOT, s)), `${s} is copied but does not exist`);
    }
  });
});

// ---------------------------------------------------------------------------
// deploy/serving-cert.sh

const haveOpenssl = spawnSync("openssl", ["version"]).status === 0;

describe("deploy/serving-cert.sh", { skip: haveOpenssl ? false : "openssl is not installed" }, () => {
  test("writes the Secret the Deployment mounts, with a certificate for the Service's name", () => {
    const out = mkdtempSync(join(tmpdir(), "meshql-cert-"));
    try {
      execFileSync(
        "bash",
        [join(ROOT, "deploy", "serving-cert.sh"), "--namespace", RELEASE.namespace, "--name", RELEASE.name, "--out", out],
        {
          stdio: "pipe",
        },
      );
      const secret = parse(readFileSync(join(out, "secret.yaml"), "utf8")) as Obj;
      const pod = find("Deployment", RELEASE.name, RELEASE.namespace).spec.template.spec as Obj;
      const vol = (pod.volumes as Obj[]).find((v) => v.secret);
      assert.equal(secret.kind, "Secret");
      assert.equal(secret.type, "kubernetes.io/tls");
      assert.equal(secret.metadata.name, vol?.secret.secretName);
      assert.equal(secret.metadata.namespace, RELEASE.namespace);
      for (const k of ["tls.crt", "tls.key", "ca.crt"]) assert.ok(secret.data[k], k);

      const cert = Buffer.from(secret.data["tls.crt"], "base64").toString("utf8");
      const ca = Buffer.from(readFileSync(join(out, "cabundle.b64"), "utf8"), "base64").toString("utf8");
      assert.equal(ca, Buffer.from(secret.data["ca.crt"], "base64").toString("utf8"));
      const x509 = new X509Certificate(cert);
      const caCert = new X509Certificate(ca);
      const svc = find("Service", RELEASE.name, RELEASE.namespace);
      assert.ok(x509.subjectAltName?.split(", ").includes(`DNS:${svc.metadata.name}.${svc.metadata.namespace}.svc`), x509.subjectAltName);
      assert.ok(x509.verify(caCert.publicKey), "tls.crt is signed by the CA bundle");
      assert.ok(caCert.ca, "the bundle is a CA");
      assert.equal(x509.ca, false);
    } finally {
      rmSync(out, { recursive: true, force: true });
    }
  });
});
