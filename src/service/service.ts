// The one query layer behind GraphQL and REST: input checks, inventory joins,
// authorization and batched metrics. Transports only translate shapes.

import { compareEdges, type EdgeDirection, type EdgeStats } from "../domain/edges.ts";
import { ForbiddenError, InvalidInputError, UnsupportedError } from "../domain/errors.ts";
import { KIND_INFO, type ResourceKind } from "../domain/kinds.ts";
import {
  EMPTY_GOLDEN,
  goldenMetrics,
  type GoldenMetrics,
  type GoldenStats,
  type MeasureName,
  type MeasureStats,
} from "../domain/metrics.ts";
import { validateLabelName } from "../domain/names.ts";
import { compareRefs, refKey, resourceRef, sameRef, type ResourceRef } from "../domain/resource.ts";
import { parseSelector } from "../domain/selector.ts";
import { latencyField, latencyKeySuffix } from "../domain/latency.ts";
import { checkAt, parseAt } from "../domain/time.ts";
import { formatWindow, parseWindow, type Window } from "../domain/window.ts";
import type { MeshAdapter } from "../mesh/adapter.ts";
import type { AccessCheck, AccessRecorder, Authorizer, UserInfo } from "./access.ts";
import type { Inventory } from "./inventory.ts";
import { createLoaders, type Loaders } from "./loaders.ts";
import { type SeriesAdapterFactory, type SeriesLoaders, type SeriesPoint, stepsKey } from "./series.ts";
import { isWorkloadKind, WORKLOAD_KINDS } from "../domain/traffic.ts";
import { assembleGraph, type GraphBasis, type GraphView, type IndexedGraph, indexGraph } from "./graph.ts";
import { seriesSteps, type SeriesSteps } from "../domain/series.ts";
import type { EdgeView, MetricsQuery, RequestScope, ResourceView } from "./types.ts";

export interface ServiceConfig {
  readonly defaultWindow: Window;
  /** The backend's scrape interval: windows must hold two samples, and "now" moves in these steps. */
  readonly scrapeInterval: Window;
  /** How far back traffic makes a resource "seen" when the backend is the inventory. */
  readonly seenLookback: Window;
  /** Most adapter calls one request may cause; a document past it gets BAD_USER_INPUT. */
  readonly maxBatchesPerRequest: number;
  /** How far back `at` may reach (the backend's retention); absent: no limit but the Unix epoch. */
  readonly maxAtAge?: Window;
  readonly clock?: () => Date;
}

export interface ServiceDeps {
  readonly adapter: MeshAdapter;
  /** Adapters answering time series; absent: `series` is unsupported. */
  readonly seriesAdapter?: SeriesAdapterFactory;
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
      throw new Error(
        `the default window ${formatWindow(config.defaultWindow)} is shorter than ${formatWindow(minWindow(config))}, twice the ` +
          "scrape interval",
      );
    }
    this.clock = config.clock ?? (() => new Date());
  }

  /** Asks again what a live stream's answer relied on (see AccessRecorder). */
  allowed(user: UserInfo, checks: readonly AccessCheck[]): Promise<boolean[]> {
    return this.deps.authorizer.allowed(user, checks);
  }

  /**
   * "Now" for a request: the last scrape boundary. Nothing newer exists, and
   * requests within one scrape interval ask identical questions, which the caches share.
   */
  moment(): Date {
    const step = this.config.scrapeInterval.seconds * 1000;
    return new Date(Math.floor(this.clock().getTime() / step) * step);
  }

  /** A fresh scope per request: its own clock reading and loaders; `record` sees every access decision it takes. */
  scope(user: UserInfo, record?: AccessRecorder): RequestScope {
    const now = this.moment();
    const loaders = createLoaders(this.deps.adapter, {
      lookback: this.config.seenLookback,
      now,
      maxBatches: this.config.maxBatchesPerRequest,
      ...(this.deps.seriesAdapter ? { seriesAdapter: this.deps.seriesAdapter } : {}),
    });
    return new Scope(this.deps, this.config, user, now, loaders, record);
  }
}

class Scope implements RequestScope {
  /** `plural/namespace` pairs whose list this request already authorized: their items need no `get` each. */
  private readonly listed = new Set<string>();
  /** Each graph's steps, per steps and latency: built once for all of its nodes' and edges' series in this request. */
  private readonly graphSteps = new WeakMap<GraphBasis, Map<string, Promise<readonly IndexedGraph[]>>>();

  constructor(
    private readonly deps: ServiceDeps,
    private readonly config: ServiceConfig,
    private readonly user: UserInfo,
    readonly now: Date,
    private readonly loaders: Loaders,
    private readonly record?: AccessRecorder,
  ) {}

  get inventorySource(): "backend" | "kubernetes" {
    return this.deps.inventory.source;
  }

  metricsQuery(
    input: { window?: string | Window | null; at?: string | Date | null },
    fields: { window?: string; at?: string } = {},
  ): MetricsQuery {
    const windowField = fields.window ?? "window";
    const window =
      input.window == null
        ? this.config.defaultWindow
        : typeof input.window === "string"
          ? parseWindow(input.window, windowField)
          : input.window;
    const min = minWindow(this.config);
    if (window.seconds < min.seconds) {
      throw new InvalidInputError(
        windowField,
        `${windowField} ${formatWindow(window)} is shorter than ${formatWindow(min)}, twice the backend's scrape interval: rates ` +
          "need at least two samples",
      );
    }
    const atField = fields.at ?? "at";
    const at =
      input.at == null
        ? this.now
        : input.at instanceof Date
          ? checkAt(input.at, this.now, atField, this.config.maxAtAge)
          : parseAt(input.at, this.now, atField, this.config.maxAtAge);
    return { window, at };
  }

  seriesQuery(input: { window?: string | null; range?: string | null; step?: string | null; at?: string | Date | null }): SeriesSteps {
    const { window, at } = this.metricsQuery({ window: input.window ?? "1m", at: input.at ?? null });
    return seriesSteps({
      window,
      range: parseWindow(input.range ?? "1h", "range"),
      step: input.step == null ? null : parseWindow(input.step, "step"),
      at,
      scrapeInterval: this.config.scrapeInterval,
    });
  }

  async series(ref: ResourceRef, steps: SeriesSteps, latency = true): Promise<GoldenMetrics[]> {
    if (!this.listed.has(`${KIND_INFO[ref.kind].plural}/${ref.namespace}`)) await this.require([getCheck(ref)]);
    const points = await this.seriesLoaders().stats.load({ ref, steps, ...latencyField(latency) });
    return toMetrics(points, steps, (raw) => raw.golden ?? EMPTY_GOLDEN);
  }

  async edgeSeries(edge: EdgeView, steps: SeriesSteps, latency = true): Promise<GoldenMetrics[]> {
    // The edge was authorized when it was listed: its resource's edges and its peer.
    const { resource, peer, direction } = edge;
    if (peer.kind === resource.kind) {
      const points = await this.seriesLoaders().edges.load({ ref: resource, steps, ...latencyField(latency) });
      const stats = (edges: EdgeStats[]): GoldenStats =>
        edges.find((e) => e.direction === direction && sameRef(e.peer, peer))?.stats.golden ?? EMPTY_GOLDEN;
      return toMetrics(points, steps, stats);
    }
    const [from, to] = direction === "TO" ? [resource, peer] : [peer, resource];
    const namespaces = [resource.namespace ?? resource.name];
    const points = await this.seriesLoaders().traffic.load({ namespaces, steps, ...latencyField(latency) });
    return toMetrics(
      points,
      steps,
      (pairs) => pairs.find((p) => p.from !== null && sameRef(p.from, from) && sameRef(p.to, to))?.stats.golden ?? EMPTY_GOLDEN,
    );
  }

  /** The graph at every step of the series, with the nodes and visibility of `graph`. */
  graphSeries(basis: GraphBasis, steps: SeriesSteps, latency = true): Promise<readonly IndexedGraph[]> {
    // Keyed by the basis itself: it holds this request's visibility, so nothing is shared across users or requests.
    let bySteps = this.graphSteps.get(basis);
    if (!bySteps) this.graphSteps.set(basis, (bySteps = new Map()));
    const key = `${stepsKey(steps)}${latencyKeySuffix({ latency })}`;
    let graphs = bySteps.get(key);
    if (!graphs) bySteps.set(key, (graphs = this.assembleSteps(basis, steps, latency)));
    return graphs;
  }

  private async assembleSteps(basis: GraphBasis, steps: SeriesSteps, latency: boolean): Promise<readonly IndexedGraph[]> {
    if (basis.namespaces.size === 0) return [];
    const points = await this.seriesLoaders().traffic.load({ namespaces: [...basis.namespaces].sort(), steps, ...latencyField(latency) });
    return points.map((p) => indexGraph(assembleGraph({ ...basis, query: { window: steps.window, at: p.at }, pairs: p.value })));
  }

  private seriesLoaders(): SeriesLoaders {
    if (!this.loaders.series) throw new UnsupportedError("time series need a backend that answers range queries");
    return this.loaders.series;
  }

  async getResource(kind: ResourceKind, namespace: string | null | undefined, name: string): Promise<ResourceView | null> {
    const ref = resourceRef(kind, namespace, name);
    await this.require([getCheck(ref)]);
    // A cluster inventory knows what exists without asking the backend.
    const known = this.deps.inventory.get(ref, []);
    if (known) return known;
    return this.deps.inventory.get(ref, await this.loaders.seen.load({ kind, namespace: ref.namespace, name: ref.name }));
  }

  async listResources(kind: ResourceKind, namespace: string | null | undefined, labelSelector?: string | null): Promise<ResourceView[]> {
    const info = KIND_INFO[kind];
    const ns = namespace == null ? null : validateLabelName("namespace", namespace);
    const selector = labelSelector == null ? null : parseSelector(labelSelector);
    if (selector && selector.requirements.length > 0 && this.deps.inventory.source !== "kubernetes") {
      throw new UnsupportedError(
        "labelSelector needs a cluster connection: labels live in Kubernetes, not in the metrics backend (start meshql with " +
          "--kubeconfig or in a cluster)",
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

  async metrics(ref: ResourceRef, q: MetricsQuery, latency = true): Promise<GoldenMetrics> {
    if (!this.listed.has(`${KIND_INFO[ref.kind].plural}/${ref.namespace}`)) await this.require([getCheck(ref)]);
    const raw = await this.loaders.stats.load({ ref, window: q.window, at: q.at, ...latencyField(latency) });
    return goldenMetrics(raw.golden ?? EMPTY_GOLDEN, q.window, q.at);
  }

  async measure<M extends MeasureName>(ref: ResourceRef, q: MetricsQuery, measure: M): Promise<MeasureStats[M] | null> {
    if (!this.listed.has(`${KIND_INFO[ref.kind].plural}/${ref.namespace}`)) await this.require([getCheck(ref)]);
    const raw = await this.loaders.stats.load({ ref, window: q.window, at: q.at, measure });
    return (raw[measure] as MeasureStats[M] | undefined) ?? null;
  }

  async edges(
    ref: ResourceRef,
    q: MetricsQuery,
    direction?: EdgeDirection | null,
    peerKinds?: readonly ResourceKind[] | null,
    latency = true,
  ): Promise<EdgeView[]> {
    await this.require([getCheck(ref, "edges")]);
    const kinds = new Set(peerKinds ?? [ref.kind]);
    const [same, cross] = await Promise.all([
      kinds.has(ref.kind)
        ? this.loaders.edges.load({ ref, window: q.window, at: q.at, ...(direction ? { direction } : {}), ...latencyField(latency) })
        : [],
      this.crossKindEdges(ref, q, kinds, latency),
    ]);
    // One order for every transport, decided here.
    const chosen = [...same, ...cross].filter((e) => direction == null || e.direction === direction).sort(compareEdges);
    // A peer the user may not see is left out, so its name and namespace never show;
    // its traffic still counts in the resource's own metrics, which the user may see.
    const visible = await this.authorizer.allowed(
      this.user,
      chosen.map((e) => getCheck(e.peer)),
    );
    return chosen
      .filter((_, i) => visible[i])
      .map((e) => ({
        direction: e.direction,
        resource: e.resource,
        peer: e.peer,
        peerView: this.deps.inventory.get(e.peer, [e.peer]),
        metrics: goldenMetrics(e.stats.golden ?? EMPTY_GOLDEN, q.window, q.at),
        mtls: e.mtls,
        // Read on demand: a measure costs queries only when a transport asks for it.
        measure: async <M extends MeasureName>(measure: M) => {
          const edges = await this.loaders.edges.load({ ref, window: q.window, at: q.at, measure });
          const same = edges.find((x) => x.direction === e.direction && refKey(x.peer) === refKey(e.peer));
          return (same?.stats[measure] as MeasureStats[M] | undefined) ?? null;
        },
      }));
  }

  /** Edges with workloads of other kinds, from the namespace's workload traffic (top-level owners only). */
  private async crossKindEdges(
    ref: ResourceRef,
    q: MetricsQuery,
    kinds: ReadonlySet<ResourceKind>,
    latency: boolean,
  ): Promise<EdgeStats[]> {
    if (!isWorkloadKind(ref.kind) || ref.namespace === null || ![...kinds].some((k) => k !== ref.kind)) return [];
    const pairs = await this.loaders.traffic.load({ namespaces: [ref.namespace], window: q.window, at: q.at, ...latencyField(latency) });
    const other = (peer: ResourceRef | null): peer is ResourceRef => peer !== null && peer.kind !== ref.kind && kinds.has(peer.kind);
    return pairs.flatMap((p): EdgeStats[] => {
      const { stats, mtls } = p;
      if (p.from && sameRef(p.from, ref) && other(p.to)) return [{ direction: "TO", resource: ref, peer: p.to, stats, mtls }];
      if (sameRef(p.to, ref) && other(p.from)) return [{ direction: "FROM", resource: ref, peer: p.from, stats, mtls }];
      return [];
    });
  }

  async graph(namespaces: readonly string[] | null | undefined, q: MetricsQuery, latency = true): Promise<GraphView> {
    const explicit = namespaces != null;
    const asked = explicit
      ? [...new Set(namespaces.map((n) => validateLabelName("namespaces", n)))].sort()
      : (await this.listResources("NAMESPACE", null)).map((v) => v.ref.name).sort();
    // A kind the user may list in an asked namespace shows by name; others become hidden nodes.
    const lists = asked.flatMap((ns) => WORKLOAD_KINDS.map((kind) => ({ kind, ns, check: listCheck(KIND_INFO[kind].plural, ns) })));
    const listable = await this.authorizer.allowed(
      this.user,
      lists.map((l) => l.check),
    );
    const readable = new Set(lists.filter((_, i) => listable[i]).map((l) => `${KIND_INFO[l.kind].plural}/${l.ns}`));
    if (explicit) {
      const denied = asked.find((ns) => !WORKLOAD_KINDS.some((kind) => readable.has(`${KIND_INFO[kind].plural}/${ns}`)));
      if (denied !== undefined)
        throw new ForbiddenError(`user ${JSON.stringify(this.user.username)} cannot list workloads in namespace ${denied}`);
    }
    for (const r of readable) this.listed.add(r);

    const pairs =
      asked.length === 0
        ? []
        : await this.loaders.traffic.load({ namespaces: asked, window: q.window, at: q.at, ...latencyField(latency) });
    // Only a cluster knows idle workloads; without one, the traffic is the only witness.
    const present =
      this.deps.inventory.source === "kubernetes"
        ? lists
            .filter((l, i) => listable[i] && l.kind !== "POD" && l.kind !== "REPLICASET")
            .flatMap((l) => this.deps.inventory.list({ kind: l.kind, namespace: l.ns, selector: null }, []))
        : [];
    const peers = new Map<string, ResourceRef>();
    for (const p of pairs)
      for (const r of [p.from, p.to]) if (r && !this.listed.has(`${KIND_INFO[r.kind].plural}/${r.namespace}`)) peers.set(refKey(r), r);
    const peerRefs = [...peers.values()];
    const peerVisible = await this.authorizer.allowed(
      this.user,
      peerRefs.map((r) => getCheck(r)),
    );
    const hidden = new Set(peerRefs.filter((_, i) => !peerVisible[i]).map(refKey));
    return assembleGraph({
      query: q,
      namespaces: new Set(asked),
      pairs,
      present,
      viewOf: (ref) => this.deps.inventory.get(ref, [ref]) ?? { ref, labels: null, pods: null, inCluster: null },
      // Peers seen only at other steps of a series were never checked: hide them too.
      visible: (ref) =>
        !hidden.has(refKey(ref)) && (this.listed.has(`${KIND_INFO[ref.kind].plural}/${ref.namespace}`) || peers.has(refKey(ref))),
    });
  }

  private get authorizer(): Authorizer {
    const { authorizer } = this.deps;
    const record = this.record;
    if (!record) return authorizer;
    return {
      allowed: async (user, checks) => {
        const decisions = await authorizer.allowed(user, checks);
        record(checks, decisions);
        return decisions;
      },
    };
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

/** Golden metrics of each point, from the raw stats `pick` finds in it. */
function toMetrics<T>(points: readonly SeriesPoint<T>[], steps: SeriesSteps, pick: (value: T) => GoldenStats): GoldenMetrics[] {
  return points.map((p) => goldenMetrics(pick(p.value), steps.window, p.at));
}

function minWindow(config: ServiceConfig): Window {
  return { seconds: config.scrapeInterval.seconds * 2 };
}

function listCheck(plural: string, namespace: string): AccessCheck {
  return { verb: "list", resource: plural, subresource: null, namespace };
}
