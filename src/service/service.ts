// The one query layer behind GraphQL and REST: input checks, inventory joins,
// authorization and batched metrics. Transports only translate shapes.

import type { EdgeDirection } from "../domain/edges.ts";
import { ForbiddenError, InvalidInputError, UnsupportedError } from "../domain/errors.ts";
import { KIND_INFO, type ResourceKind } from "../domain/kinds.ts";
import { goldenMetrics, type GoldenMetrics } from "../domain/metrics.ts";
import { validateLabelName } from "../domain/names.ts";
import { compareRefs, resourceRef, type ResourceRef } from "../domain/resource.ts";
import { parseSelector } from "../domain/selector.ts";
import { checkAt, parseAt } from "../domain/time.ts";
import { formatWindow, parseWindow, type Window } from "../domain/window.ts";
import type { MeshAdapter } from "../mesh/adapter.ts";
import type { AccessCheck, Authorizer, UserInfo } from "./access.ts";
import type { Inventory } from "./inventory.ts";
import { createLoaders, type Loaders } from "./loaders.ts";
import type { EdgeView, MetricsQuery, RequestScope, ResourceView } from "./types.ts";

export interface ServiceConfig {
  readonly defaultWindow: Window;
  /** The backend's scrape interval: windows must hold two samples, and "now" moves in these steps. */
  readonly scrapeInterval: Window;
  /** How far back traffic makes a resource "seen" when the backend is the inventory. */
  readonly seenLookback: Window;
  /** Most adapter calls one request may cause; a document past it gets BAD_USER_INPUT. */
  readonly maxBatchesPerRequest: number;
  readonly clock?: () => Date;
}

export interface ServiceDeps {
  readonly adapter: MeshAdapter;
  readonly inventory: Inventory;
  /** Always explicit: ALLOW_ALL only where nobody can be asked (the demo, no cluster). */
  readonly authorizer: Authorizer;
}

export class MeshqlService {
  private readonly clock: () => Date;

  constructor(
    private readonly deps: ServiceDeps,
    readonly config: ServiceConfig,
  ) {
    if (config.defaultWindow.seconds < minWindow(config).seconds) {
      throw new Error(`the default window ${formatWindow(config.defaultWindow)} is shorter than ${formatWindow(minWindow(config))}, twice the scrape interval`);
    }
    this.clock = config.clock ?? (() => new Date());
  }

  /**
   * "Now" for a request: the last scrape boundary. Nothing newer exists, and
   * requests within one scrape interval ask identical questions, which the caches share.
   */
  moment(): Date {
    const step = this.config.scrapeInterval.seconds * 1000;
    return new Date(Math.floor(this.clock().getTime() / step) * step);
  }

  /** A fresh scope per request: its own clock reading and loaders. */
  scope(user: UserInfo): RequestScope {
    const now = this.moment();
    const loaders = createLoaders(this.deps.adapter, { lookback: this.config.seenLookback, now, maxBatches: this.config.maxBatchesPerRequest });
    return new Scope(this.deps, this.config, user, now, loaders);
  }
}

class Scope implements RequestScope {
  /** `plural/namespace` pairs whose list this request already authorized: their items need no `get` each. */
  private readonly listed = new Set<string>();

  constructor(
    private readonly deps: ServiceDeps,
    private readonly config: ServiceConfig,
    private readonly user: UserInfo,
    readonly now: Date,
    private readonly loaders: Loaders,
  ) {}

  get inventorySource(): "backend" | "kubernetes" {
    return this.deps.inventory.source;
  }

  metricsQuery(input: { window?: string | Window | null; at?: string | Date | null }, fields: { window?: string; at?: string } = {}): MetricsQuery {
    const windowField = fields.window ?? "window";
    const window =
      input.window == null ? this.config.defaultWindow : typeof input.window === "string" ? parseWindow(input.window, windowField) : input.window;
    const min = minWindow(this.config);
    if (window.seconds < min.seconds) {
      throw new InvalidInputError(
        windowField,
        `${windowField} ${formatWindow(window)} is shorter than ${formatWindow(min)}, twice the backend's scrape interval: rates need at least two samples`,
      );
    }
    const atField = fields.at ?? "at";
    const at =
      input.at == null ? this.now : input.at instanceof Date ? checkAt(input.at, this.now, atField) : parseAt(input.at, this.now, atField);
    return { window, at };
  }

  async getResource(kind: ResourceKind, namespace: string | null | undefined, name: string): Promise<ResourceView | null> {
    const ref = resourceRef(kind, namespace, name);
    await this.require([getCheck(ref)]);
    // A cluster inventory knows what exists without asking the backend.
    const known = this.deps.inventory.get(ref, []);
    if (known) return known;
    return this.deps.inventory.get(ref, await this.loaders.seen.load({ kind, namespace: ref.namespace }));
  }

  async listResources(kind: ResourceKind, namespace: string | null | undefined, labelSelector?: string | null): Promise<ResourceView[]> {
    const info = KIND_INFO[kind];
    const ns = namespace == null ? null : validateLabelName("namespace", namespace);
    const selector = labelSelector == null ? null : parseSelector(labelSelector);
    if (selector && selector.requirements.length > 0 && this.deps.inventory.source !== "kubernetes") {
      throw new UnsupportedError(
        "labelSelector needs a cluster connection: labels live in Kubernetes, not in the metrics backend (start meshql with --kubeconfig or in a cluster)",
        "labelSelector",
      );
    }
    if (ns !== null && info.namespaced) {
      await this.require([listCheck(info.plural, ns)]);
      this.listed.add(`${info.plural}/${ns}`);
      const seen = await this.loaders.seen.load({ kind, namespace: ns });
      return this.deps.inventory.list({ kind, namespace: ns, selector }, seen).sort((a, b) => compareRefs(a.ref, b.ref));
    }
    const seen = await this.loaders.seen.load({ kind, namespace: null });
    // Namespaces are cluster-scoped: a namespace argument picks that one.
    const items = this.deps.inventory.list({ kind, namespace: null, selector }, seen).filter((i) => ns === null || i.ref.name === ns);
    // Across namespaces, show only what this user may list (a namespace: may get).
    const scopes = [...new Set(items.map((i) => i.ref.namespace ?? i.ref.name))];
    const decisions = await this.authorizer.allowed(
      this.user,
      scopes.map((s) => (info.namespaced ? listCheck(info.plural, s) : getCheck({ kind, namespace: null, name: s }))),
    );
    const allowed = new Set(scopes.filter((_, i) => decisions[i]));
    if (info.namespaced) for (const s of allowed) this.listed.add(`${info.plural}/${s}`);
    return items.filter((i) => allowed.has(i.ref.namespace ?? i.ref.name)).sort((a, b) => compareRefs(a.ref, b.ref));
  }

  async metrics(ref: ResourceRef, q: MetricsQuery): Promise<GoldenMetrics> {
    if (!this.listed.has(`${KIND_INFO[ref.kind].plural}/${ref.namespace}`)) await this.require([getCheck(ref)]);
    const raw = await this.loaders.stats.load({ ref, window: q.window, at: q.at });
    return goldenMetrics(raw, q.window, q.at);
  }

  async edges(ref: ResourceRef, q: MetricsQuery, direction?: EdgeDirection | null): Promise<EdgeView[]> {
    await this.require([getCheck(ref, "edges")]);
    const stats = await this.loaders.edges.load({ ref, window: q.window, at: q.at });
    const chosen = stats.filter((e) => direction == null || e.direction === direction);
    // A peer the user may not see is left out, so its name and namespace never show;
    // its traffic still counts in the resource's own metrics, which the user may see.
    const visible = await this.authorizer.allowed(this.user, chosen.map((e) => getCheck(e.peer)));
    return chosen
      .filter((_, i) => visible[i])
      .map((e) => ({
        direction: e.direction,
        resource: e.resource,
        peer: e.peer,
        peerView: this.deps.inventory.get(e.peer, [e.peer]),
        metrics: goldenMetrics(e.stats, q.window, q.at),
        mtls: e.mtls,
      }));
  }

  private get authorizer(): Authorizer {
    return this.deps.authorizer;
  }

  private async require(checks: AccessCheck[]): Promise<void> {
    const decisions = await this.authorizer.allowed(this.user, checks);
    const denied = checks.find((_, i) => !decisions[i]);
    if (denied) {
      const what = `${denied.resource}${denied.subresource ? `/${denied.subresource}` : ""}`;
      const where = denied.namespace ? ` in namespace ${denied.namespace}` : "";
      throw new ForbiddenError(`user ${JSON.stringify(this.user.username)} cannot ${denied.verb} ${what}${where}`);
    }
  }
}

/**
 * May the user read this resource's metrics (or its edges)? A namespace is
 * checked in itself, as kube-apiserver does for namespace objects, so a
 * RoleBinding in a namespace grants that namespace's own metrics.
 */
function getCheck(ref: ResourceRef, subresource: "edges" | null = null): AccessCheck {
  const namespace = ref.kind === "NAMESPACE" ? ref.name : ref.namespace;
  return { verb: "get", resource: KIND_INFO[ref.kind].plural, subresource, namespace, name: ref.name };
}

function minWindow(config: ServiceConfig): Window {
  return { seconds: config.scrapeInterval.seconds * 2 };
}

function listCheck(plural: string, namespace: string): AccessCheck {
  return { verb: "list", resource: plural, subresource: null, namespace };
}
