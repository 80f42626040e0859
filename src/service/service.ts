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
import { ALLOW_ALL, type AccessCheck, type Authorizer, type UserInfo } from "./access.ts";
import type { Inventory } from "./inventory.ts";
import { createLoaders, type Loaders } from "./loaders.ts";
import type { EdgeView, MetricsQuery, RequestScope, ResourceView } from "./types.ts";

export interface ServiceConfig {
  readonly defaultWindow: Window;
  /** Twice the backend's scrape interval: shorter windows hold too few samples for rate(). */
  readonly minWindow: Window;
  /** How far back traffic makes a resource "seen" when the backend is the inventory. */
  readonly seenLookback: Window;
  readonly clock?: () => Date;
}

export interface ServiceDeps {
  readonly adapter: MeshAdapter;
  readonly inventory: Inventory;
  readonly authorizer?: Authorizer;
}

export class MeshqlService {
  private readonly clock: () => Date;

  constructor(
    private readonly deps: ServiceDeps,
    readonly config: ServiceConfig,
  ) {
    this.clock = config.clock ?? (() => new Date());
  }

  get adapter(): MeshAdapter {
    return this.deps.adapter;
  }

  get inventory(): Inventory {
    return this.deps.inventory;
  }

  /** A fresh scope per request: its own clock reading and loaders. */
  scope(user: UserInfo): RequestScope {
    const now = new Date(Math.floor(this.clock().getTime() / 1000) * 1000);
    return new Scope(this.deps, this.config, user, now, createLoaders(this.deps.adapter, this.config.seenLookback, now));
  }
}

class Scope implements RequestScope {
  private readonly authorizer: Authorizer;

  constructor(
    private readonly deps: ServiceDeps,
    private readonly config: ServiceConfig,
    private readonly user: UserInfo,
    readonly now: Date,
    private readonly loaders: Loaders,
  ) {
    this.authorizer = deps.authorizer ?? ALLOW_ALL;
  }

  metricsQuery(input: { window?: string | null; at?: string | Date | null }, fields: { window?: string; at?: string } = {}): MetricsQuery {
    const windowField = fields.window ?? "window";
    const window = input.window == null ? this.config.defaultWindow : parseWindow(input.window, windowField);
    if (window.seconds < this.config.minWindow.seconds) {
      throw new InvalidInputError(
        windowField,
        `${windowField} ${formatWindow(window)} is shorter than ${formatWindow(this.config.minWindow)}, twice the backend's scrape interval: rates need at least two samples`,
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
    const seen = await this.loaders.seen.load({ kind, namespace: ref.namespace });
    return this.deps.inventory.get(ref, seen);
  }

  async listResources(kind: ResourceKind, namespace: string | null | undefined, labelSelector?: string | null): Promise<ResourceView[]> {
    const ns = namespace == null || !KIND_INFO[kind].namespaced ? null : validateLabelName("namespace", namespace);
    const selector = labelSelector == null ? null : parseSelector(labelSelector);
    if (selector && selector.requirements.length > 0 && this.deps.inventory.source !== "kubernetes") {
      throw new UnsupportedError(
        "labelSelector needs a cluster connection: labels live in Kubernetes, not in the metrics backend (start meshql with --kubeconfig or in a cluster)",
      );
    }
    const plural = KIND_INFO[kind].plural;
    if (ns !== null) await this.require([{ verb: "list", resource: plural, subresource: null, namespace: ns }]);
    const seen = await this.loaders.seen.load({ kind, namespace: ns });
    const items = this.deps.inventory.list({ kind, namespace: ns, selector }, seen);
    if (ns !== null) return items.sort((a, b) => compareRefs(a.ref, b.ref));
    // Across namespaces, show only the namespaces this user may list.
    const scopes = [...new Set(items.map((i) => i.ref.namespace ?? i.ref.name))];
    const allowed = await this.allowedSet(
      scopes,
      (s) => (kind === "NAMESPACE" ? getCheck({ kind, namespace: null, name: s }) : { verb: "list", resource: plural, subresource: null, namespace: s }),
    );
    return items.filter((i) => allowed.has(i.ref.namespace ?? i.ref.name)).sort((a, b) => compareRefs(a.ref, b.ref));
  }

  async metrics(ref: ResourceRef, q: MetricsQuery): Promise<GoldenMetrics> {
    await this.require([getCheck(ref)]);
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
        metrics: goldenMetrics(e.stats, q.window, q.at),
        mtls: e.mtls,
      }));
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

  private async allowedSet(scopes: string[], check: (scope: string) => AccessCheck): Promise<Set<string>> {
    const decisions = await this.authorizer.allowed(this.user, scopes.map(check));
    return new Set(scopes.filter((_, i) => decisions[i]));
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
