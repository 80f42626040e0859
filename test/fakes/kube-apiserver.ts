// A loopback stand-in for kube-apiserver. No real API server can be installed
// on the machines these tests run on, so this serves the parts meshql uses,
// with the real shapes and semantics: list with resourceVersion and paging,
// watch streams (ADDED/MODIFIED/DELETED/BOOKMARK, 410 for a compacted
// resourceVersion), TokenReview, SubjectAccessReview, SelfSubjectAccessReview,
// APIService gets and the extension-apiserver-authentication ConfigMap. Tests mutate it and can cut
// every open watch to exercise reconnects.

import { randomUUID } from "node:crypto";
import { writeFileSync } from "node:fs";
import http from "node:http";
import type { AddressInfo } from "node:net";
import { KubeConfig } from "@kubernetes/client-node";
import type { KubeObject } from "./kube-objects.ts";

export type Collection = "namespaces" | "pods" | "deployments" | "daemonsets" | "statefulsets" | "replicasets" | "jobs";

const COLLECTIONS: Readonly<Record<Collection, { prefix: string; kind: string; apiVersion: string; namespaced: boolean }>> = {
  namespaces: { prefix: "/api/v1", kind: "Namespace", apiVersion: "v1", namespaced: false },
  pods: { prefix: "/api/v1", kind: "Pod", apiVersion: "v1", namespaced: true },
  deployments: { prefix: "/apis/apps/v1", kind: "Deployment", apiVersion: "apps/v1", namespaced: true },
  daemonsets: { prefix: "/apis/apps/v1", kind: "DaemonSet", apiVersion: "apps/v1", namespaced: true },
  statefulsets: { prefix: "/apis/apps/v1", kind: "StatefulSet", apiVersion: "apps/v1", namespaced: true },
  replicasets: { prefix: "/apis/apps/v1", kind: "ReplicaSet", apiVersion: "apps/v1", namespaced: true },
  jobs: { prefix: "/apis/batch/v1", kind: "Job", apiVersion: "batch/v1", namespaced: true },
};

const BY_KIND = new Map(Object.entries(COLLECTIONS).map(([c, i]) => [i.kind, c as Collection]));

export interface FakeUser {
  readonly username: string;
  readonly uid?: string;
  readonly groups?: readonly string[];
  readonly extra?: Readonly<Record<string, readonly string[]>>;
}

/** One row of the SubjectAccessReview decision table; unset fields match anything. */
export interface SarRule {
  readonly user?: string;
  readonly group?: string;
  /** "" matches cluster-scoped checks only */
  readonly namespace?: string;
  readonly resource?: string;
  /** "" matches checks without a subresource only */
  readonly subresource?: string;
  readonly verb?: string;
  /** API group of the check; unset matches metrics.smi-spec.io only */
  readonly apiGroup?: string;
  readonly allowed: boolean;
}

export interface SarSpec {
  user?: string;
  groups?: string[];
  extra?: Record<string, string[]>;
  resourceAttributes?: {
    group?: string;
    version?: string;
    resource?: string;
    subresource?: string;
    verb?: string;
    namespace?: string;
    name?: string;
  };
}

interface HistoryEvent {
  readonly rv: number;
  readonly collection: Collection;
  readonly type: "ADDED" | "MODIFIED" | "DELETED";
  readonly object: KubeObject;
}

interface OpenWatch {
  readonly collection: Collection;
  readonly namespace: string | null;
  readonly res: http.ServerResponse;
  readonly timers: NodeJS.Timeout[];
}

export interface FakeKubeOptions {
  /** When set, every request must carry "Authorization: Bearer <clientToken>". */
  readonly clientToken?: string;
  /** Send a BOOKMARK on watches that asked for them, this often. 0: never (tests call bookmark()). */
  readonly bookmarkIntervalMs?: number;
  /** How a compacted resourceVersion is refused on watch: an ERROR event (what kube-apiserver does) or HTTP 410. */
  readonly expiredAs?: "event" | "status";
}

const clone = <T>(v: T): T => structuredClone(v);

function status(code: number, reason: string, message: string): Record<string, unknown> {
  return { kind: "Status", apiVersion: "v1", metadata: {}, status: "Failure", message, reason, code };
}

function send(res: http.ServerResponse, code: number, body: unknown): void {
  const text = JSON.stringify(body);
  res.writeHead(code, { "content-type": "application/json", "content-length": Buffer.byteLength(text) });
  res.end(text);
}

async function readBody(req: http.IncomingMessage): Promise<unknown> {
  const chunks: Buffer[] = [];
  for await (const c of req) chunks.push(c as Buffer);
  return JSON.parse(Buffer.concat(chunks).toString("utf8") || "{}");
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

export class FakeKubeApiServer {
  readonly url: string;
  /** Bearer token -> user, for TokenReview. */
  readonly users = new Map<string, FakeUser>();
  /** SubjectAccessReview decisions, first match wins; no match: denied. */
  readonly sarRules: SarRule[] = [];
  readonly sar = {
    count: 0,
    inFlight: 0,
    maxInFlight: 0,
    /** Answer delay, so tests can see whether reviews overlap. */
    delayMs: 0,
    /** When set, answer reviews with this HTTP status instead. */
    failWith: null as number | null,
    log: [] as SarSpec[],
  };
  readonly tokenReview = { count: 0, log: [] as { token: string; audiences: string[] }[] };
  readonly requests = { lists: {} as Record<string, number>, watches: {} as Record<string, number> };
  /** APIServices (apiregistration.k8s.io/v1) by name, served by GET; absent: 404. */
  readonly apiServices = new Map<string, Record<string, unknown>>();
  /** Data of kube-system/extension-apiserver-authentication; null: 404. */
  authConfigMap: Record<string, string> | null = null;
  /** Lists of these collections fail with the HTTP status, or are never answered ("hang"). */
  readonly failLists = new Map<Collection, number | "hang">();

  private readonly server: http.Server;
  private readonly options: FakeKubeOptions;
  private readonly store = new Map<Collection, Map<string, KubeObject>>();
  private history: HistoryEvent[] = [];
  private rv = 100;
  /** resourceVersions below this are forgotten: watching from them answers 410. */
  private compactedBelow = 0;
  private readonly watches = new Set<OpenWatch>();

  private constructor(server: http.Server, options: FakeKubeOptions) {
    this.server = server;
    this.options = options;
    const { port } = server.address() as AddressInfo;
    this.url = `http://127.0.0.1:${port}`;
    for (const c of Object.keys(COLLECTIONS) as Collection[]) this.store.set(c, new Map());
  }

  static async start(options: FakeKubeOptions = {}): Promise<FakeKubeApiServer> {
    const server = http.createServer();
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    const fake = new FakeKubeApiServer(server, options);
    server.on("request", (req, res) => {
      fake.handle(req, res).catch((e: unknown) => {
        if (!res.headersSent) send(res, 500, status(500, "InternalError", String(e)));
        else res.destroy();
      });
    });
    return fake;
  }

  /** A kubeconfig file for this fake, for code that takes a path (the gateway's --kubeconfig). */
  writeKubeconfig(path: string, token = this.options.clientToken): void {
    writeFileSync(
      path,
      `apiVersion: v1
kind: Config
clusters: [{name: fake, cluster: {server: "${this.url}", insecure-skip-tls-verify: true}}]
users: [{name: meshql, user: {${token ? `token: ${token}` : ""}}}]
contexts: [{name: fake, context: {cluster: fake, user: meshql}}]
current-context: fake
`,
    );
  }

  /** A KubeConfig for this fake, built with loadFromOptions (never loadFromDefault). */
  kubeConfig(token = this.options.clientToken): KubeConfig {
    const kc = new KubeConfig();
    kc.loadFromOptions({
      // http:// needs skipTLSVerify in @kubernetes/client-node; there is no TLS to verify.
      clusters: [{ name: "fake", server: this.url, skipTLSVerify: true }],
      users: [token ? { name: "meshql", token } : { name: "meshql" }],
      contexts: [{ name: "fake", cluster: "fake", user: "meshql" }],
      currentContext: "fake",
    });
    return kc;
  }

  // ---- mutations (each emits a watch event, like a write to the real server) ----

  /** Creates or replaces an object; its kind picks the collection. Returns the stored copy. */
  apply(input: KubeObject): KubeObject {
    const collection = BY_KIND.get(input.kind);
    if (!collection) throw new Error(`the fake does not serve kind ${input.kind}`);
    const info = COLLECTIONS[collection];
    const key = this.key(collection, input.metadata.namespace ?? "", input.metadata.name);
    const existing = this.store.get(collection)!.get(key);
    const obj = clone(input);
    obj.apiVersion = info.apiVersion;
    if (!info.namespaced) delete obj.metadata.namespace;
    else if (!obj.metadata.namespace) obj.metadata.namespace = "default";
    obj.metadata.uid = existing?.metadata.uid ?? obj.metadata.uid ?? randomUUID();
    obj.metadata.creationTimestamp = existing?.metadata.creationTimestamp ?? new Date().toISOString().replace(/\.\d+Z$/, "Z");
    for (const ref of obj.metadata.ownerReferences ?? []) {
      if (ref.uid) continue;
      const ownerCollection = BY_KIND.get(ref.kind);
      const owner = ownerCollection
        ? this.store.get(ownerCollection)!.get(this.key(ownerCollection, obj.metadata.namespace ?? "", ref.name))
        : undefined;
      ref.uid = owner?.metadata.uid ?? randomUUID();
    }
    obj.metadata.resourceVersion = String(++this.rv);
    this.store.get(collection)!.set(key, obj);
    this.emit({ rv: this.rv, collection, type: existing ? "MODIFIED" : "ADDED", object: clone(obj) });
    return clone(obj);
  }

  /** Deletes an object; returns whether it existed. */
  remove(kind: string, namespace: string | null, name: string): boolean {
    const collection = BY_KIND.get(kind);
    if (!collection) throw new Error(`the fake does not serve kind ${kind}`);
    const key = this.key(collection, namespace ?? "", name);
    const existing = this.store.get(collection)!.get(key);
    if (!existing) return false;
    this.store.get(collection)!.delete(key);
    const gone = clone(existing);
    gone.metadata.resourceVersion = String(++this.rv);
    this.emit({ rv: this.rv, collection, type: "DELETED", object: gone });
    return true;
  }

  /** Drops every open watch connection abruptly (no clean end of stream). */
  cutWatches(): number {
    const n = this.watches.size;
    for (const w of [...this.watches]) this.closeWatch(w, "cut");
    return n;
  }

  /** Forgets the event history: watching from any resourceVersion up to now answers 410 Gone. */
  compact(): void {
    this.compactedBelow = this.rv + 1;
    this.history = [];
  }

  /** Sends a BOOKMARK at the current resourceVersion on every watch that allowed bookmarks. */
  bookmark(): void {
    for (const w of this.watches) this.writeBookmark(w);
  }

  get openWatches(): number {
    return this.watches.size;
  }

  get resourceVersion(): string {
    return String(this.rv);
  }

  async close(): Promise<void> {
    this.cutWatches();
    this.server.closeAllConnections();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }

  // ---- request handling ----

  private key(c: Collection, namespace: string, name: string): string {
    return COLLECTIONS[c].namespaced ? `${namespace}/${name}` : name;
  }

  private emit(ev: HistoryEvent): void {
    this.history.push(ev);
    for (const w of this.watches) {
      if (w.collection !== ev.collection) continue;
      if (w.namespace !== null && ev.object.metadata.namespace !== w.namespace) continue;
      w.res.write(`${JSON.stringify({ type: ev.type, object: ev.object })}\n`);
    }
  }

  private async handle(req: http.IncomingMessage, res: http.ServerResponse): Promise<void> {
    const url = new URL(req.url ?? "/", this.url);
    if (this.options.clientToken && req.headers.authorization !== `Bearer ${this.options.clientToken}`) {
      return send(res, 401, status(401, "Unauthorized", "Unauthorized"));
    }
    const path = url.pathname;
    if (req.method === "POST" && path === "/apis/authentication.k8s.io/v1/tokenreviews") return this.tokenReviewRequest(req, res);
    if (req.method === "POST" && path === "/apis/authorization.k8s.io/v1/subjectaccessreviews") return this.sarRequest(req, res);
    if (req.method === "POST" && path === "/apis/authorization.k8s.io/v1/selfsubjectaccessreviews") return this.selfSarRequest(req, res);
    if (req.method !== "GET") return send(res, 405, status(405, "MethodNotAllowed", `${req.method} is not supported by the fake`));
    if (path === "/api/v1/namespaces/kube-system/configmaps/extension-apiserver-authentication") return this.configMapRequest(res);
    const apiService = /^\/apis\/apiregistration\.k8s\.io\/v1\/apiservices\/([^/]+)$/.exec(path);
    if (apiService) return this.apiServiceRequest(decodeURIComponent(apiService[1]!), res);
    const route = this.route(path);
    if (!route) return send(res, 404, status(404, "NotFound", `the server could not find the requested resource (${path})`));
    const watch = url.searchParams.get("watch");
    if (watch === "true" || watch === "1") return this.watchRequest(route, url, res);
    return this.listRequest(route, url, res);
  }

  private route(path: string): { collection: Collection; namespace: string | null } | null {
    for (const [c, info] of Object.entries(COLLECTIONS) as [Collection, (typeof COLLECTIONS)[Collection]][]) {
      if (path === `${info.prefix}/${c}`) return { collection: c, namespace: null };
      const m = info.namespaced ? new RegExp(`^${info.prefix}/namespaces/([a-z0-9-]+)/${c}$`).exec(path) : null;
      if (m) return { collection: c, namespace: m[1]! };
    }
    return null;
  }

  private selected(collection: Collection, namespace: string | null): KubeObject[] {
    return [...this.store.get(collection)!.values()]
      .filter((o) => namespace === null || o.metadata.namespace === namespace)
      .sort((a, b) => `${a.metadata.namespace ?? ""}/${a.metadata.name}`.localeCompare(`${b.metadata.namespace ?? ""}/${b.metadata.name}`));
  }

  private listRequest(route: { collection: Collection; namespace: string | null }, url: URL, res: http.ServerResponse): void {
    this.requests.lists[route.collection] = (this.requests.lists[route.collection] ?? 0) + 1;
    const failure = this.failLists.get(route.collection);
    // A hung list is left open: the client's own deadline or close() ends it.
    if (failure === "hang") return;
    if (failure !== undefined) {
      send(
        res,
        failure,
        status(failure, failure === 403 ? "Forbidden" : "InternalError", `the fake was told to fail lists of ${route.collection}`),
      );
      return;
    }
    const info = COLLECTIONS[route.collection];
    const all = this.selected(route.collection, route.namespace);
    const limit = Number(url.searchParams.get("limit") ?? "0");
    const cont = url.searchParams.get("continue");
    let start = 0;
    let rv = String(this.rv);
    if (cont) {
      const token = JSON.parse(Buffer.from(cont, "base64url").toString("utf8")) as { start: number; rv: string };
      start = token.start;
      rv = token.rv;
    }
    const page = limit > 0 ? all.slice(start, start + limit) : all.slice(start);
    const metadata: Record<string, string> = { resourceVersion: rv };
    if (limit > 0 && start + limit < all.length) {
      metadata.continue = Buffer.from(JSON.stringify({ start: start + limit, rv })).toString("base64url");
    }
    send(res, 200, {
      kind: `${info.kind}List`,
      apiVersion: info.apiVersion,
      metadata,
      items: page.map((o) => ({ ...clone(o), kind: undefined, apiVersion: undefined })),
    });
  }

  private watchRequest(route: { collection: Collection; namespace: string | null }, url: URL, res: http.ServerResponse): void {
    this.requests.watches[route.collection] = (this.requests.watches[route.collection] ?? 0) + 1;
    const rvText = url.searchParams.get("resourceVersion") ?? "";
    const from = rvText === "" || rvText === "0" ? null : Number(rvText);
    if (from !== null && (!Number.isFinite(from) || from < this.compactedBelow - 1)) {
      const msg = `too old resource version: ${rvText} (${this.compactedBelow})`;
      if (this.options.expiredAs === "status") {
        send(res, 410, status(410, "Expired", msg));
        return;
      }
      res.writeHead(200, { "content-type": "application/json", "transfer-encoding": "chunked" });
      res.end(`${JSON.stringify({ type: "ERROR", object: status(410, "Expired", msg) })}\n`);
      return;
    }
    res.writeHead(200, { "content-type": "application/json", "transfer-encoding": "chunked" });
    const w: OpenWatch = { collection: route.collection, namespace: route.namespace, res, timers: [] };
    if (url.searchParams.get("allowWatchBookmarks") !== "true") (w as { bookmarks?: boolean }).bookmarks = false;
    this.watches.add(w);
    res.on("close", () => this.closeWatch(w, "closed"));
    if (from === null) {
      // "Any" version: the current state as synthetic ADDED events, then changes.
      for (const o of this.selected(route.collection, route.namespace)) res.write(`${JSON.stringify({ type: "ADDED", object: o })}\n`);
    } else {
      for (const ev of this.history) {
        if (ev.rv <= from || ev.collection !== route.collection) continue;
        if (route.namespace !== null && ev.object.metadata.namespace !== route.namespace) continue;
        res.write(`${JSON.stringify({ type: ev.type, object: ev.object })}\n`);
      }
    }
    const timeout = Number(url.searchParams.get("timeoutSeconds") ?? "0");
    if (timeout > 0) w.timers.push(setTimeout(() => this.closeWatch(w, "timeout"), timeout * 1000));
    const every = this.options.bookmarkIntervalMs ?? 0;
    if (every > 0) w.timers.push(setInterval(() => this.writeBookmark(w), every));
  }

  private writeBookmark(w: OpenWatch): void {
    if ((w as { bookmarks?: boolean }).bookmarks === false) return;
    const info = COLLECTIONS[w.collection];
    const object = { kind: info.kind, apiVersion: info.apiVersion, metadata: { resourceVersion: String(this.rv) } };
    w.res.write(`${JSON.stringify({ type: "BOOKMARK", object })}\n`);
  }

  private closeWatch(w: OpenWatch, how: "cut" | "timeout" | "closed"): void {
    if (!this.watches.delete(w)) return;
    for (const t of w.timers) clearTimeout(t);
    if (how === "cut") w.res.socket?.destroy();
    else if (how === "timeout") w.res.end();
  }

  private configMapRequest(res: http.ServerResponse): void {
    if (!this.authConfigMap) {
      send(res, 404, status(404, "NotFound", `configmaps "extension-apiserver-authentication" not found`));
      return;
    }
    send(res, 200, {
      kind: "ConfigMap",
      apiVersion: "v1",
      metadata: { name: "extension-apiserver-authentication", namespace: "kube-system", uid: "0d7c1f1e-cm", resourceVersion: "42" },
      data: this.authConfigMap,
    });
  }

  private async tokenReviewRequest(req: http.IncomingMessage, res: http.ServerResponse): Promise<void> {
    const body = (await readBody(req)) as { spec?: { token?: string; audiences?: string[] } };
    const token = body.spec?.token ?? "";
    this.tokenReview.count++;
    this.tokenReview.log.push({ token, audiences: body.spec?.audiences ?? [] });
    const user = this.users.get(token);
    const statusBody = user
      ? {
          authenticated: true,
          user: {
            username: user.username,
            uid: user.uid ?? randomUUID(),
            groups: [...(user.groups ?? []), "system:authenticated"],
            extra: user.extra ?? {},
          },
          audiences: body.spec?.audiences ?? [],
        }
      : { authenticated: false, error: "invalid bearer token" };
    send(res, 201, {
      kind: "TokenReview",
      apiVersion: "authentication.k8s.io/v1",
      metadata: { creationTimestamp: null },
      spec: body.spec ?? {},
      status: statusBody,
    });
  }

  private async sarRequest(req: http.IncomingMessage, res: http.ServerResponse): Promise<void> {
    const body = (await readBody(req)) as { spec?: SarSpec };
    const spec = body.spec ?? {};
    this.sar.count++;
    this.sar.log.push(spec);
    this.sar.inFlight++;
    this.sar.maxInFlight = Math.max(this.sar.maxInFlight, this.sar.inFlight);
    try {
      if (this.sar.delayMs > 0) await sleep(this.sar.delayMs);
      if (this.sar.failWith !== null) {
        return send(res, this.sar.failWith, status(this.sar.failWith, "InternalError", "the fake was told to fail reviews"));
      }
      const allowed = this.decide(spec);
      send(res, 201, {
        kind: "SubjectAccessReview",
        apiVersion: "authorization.k8s.io/v1",
        metadata: { creationTimestamp: null },
        spec,
        status: allowed ? { allowed: true, reason: "allowed by the fake's table" } : { allowed: false },
      });
    } finally {
      this.sar.inFlight--;
    }
  }

  private apiServiceRequest(name: string, res: http.ServerResponse): void {
    const obj = this.apiServices.get(name);
    if (!obj) {
      send(res, 404, status(404, "NotFound", `apiservices.apiregistration.k8s.io "${name}" not found`));
      return;
    }
    send(res, 200, {
      kind: "APIService",
      apiVersion: "apiregistration.k8s.io/v1",
      ...clone(obj),
      metadata: { name, resourceVersion: "7", ...(obj.metadata as object) },
    });
  }

  /** The caller's own access: the user of its bearer token (users), else system:anonymous. */
  private async selfSarRequest(req: http.IncomingMessage, res: http.ServerResponse): Promise<void> {
    const body = (await readBody(req)) as { spec?: Pick<SarSpec, "resourceAttributes"> };
    const token = /^Bearer (.+)$/.exec(req.headers.authorization ?? "")?.[1] ?? "";
    const user = this.users.get(token) ?? { username: "system:anonymous", groups: ["system:unauthenticated"] };
    const allowed = this.decide({
      user: user.username,
      groups: [...(user.groups ?? [])],
      resourceAttributes: body.spec?.resourceAttributes ?? {},
    });
    send(res, 201, {
      kind: "SelfSubjectAccessReview",
      apiVersion: "authorization.k8s.io/v1",
      metadata: { creationTimestamp: null },
      spec: body.spec ?? {},
      status: allowed ? { allowed: true, reason: "allowed by the fake's table" } : { allowed: false },
    });
  }

  private decide(spec: SarSpec): boolean {
    const a = spec.resourceAttributes ?? {};
    for (const r of this.sarRules) {
      if ((r.apiGroup ?? "metrics.smi-spec.io") !== (a.group ?? "")) continue;
      if (r.user !== undefined && r.user !== spec.user) continue;
      if (r.group !== undefined && !(spec.groups ?? []).includes(r.group)) continue;
      if (r.namespace !== undefined && r.namespace !== (a.namespace ?? "")) continue;
      if (r.resource !== undefined && r.resource !== a.resource) continue;
      if (r.subresource !== undefined && r.subresource !== (a.subresource ?? "")) continue;
      if (r.verb !== undefined && r.verb !== a.verb) continue;
      return r.allowed;
    }
    return false;
  }
}
