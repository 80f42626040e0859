// The one Prometheus engine behind every mesh: (measures, mesh spec, batch)
// become the fewest PromQL queries (one per query group of each measure
// asked for, plus the directory and an mTLS read where the mesh needs them),
// sent concurrently, and their samples fold into stats per resource or edge.
// The number of queries never depends on how many resources a batch holds.

import type { EdgeStats } from "../domain/edges.ts";
import type { ResourceKind } from "../domain/kinds.ts";
import { latencyField } from "../domain/latency.ts";
import type { MeasureName, MeasureStats, RawStats } from "../domain/metrics.ts";
import { refKey, type ResourceRef } from "../domain/resource.ts";
import { promRange } from "../domain/window.ts";
import type { InstantQuerier, Sample } from "../prometheus/client.ts";
import { by, type Matcher, negate, selector, tagged } from "../prometheus/promql.ts";
import type { TrafficPair } from "../domain/traffic.ts";
import type { ListScope, MeshAdapter, MeshName, StatsBatch, TrafficBatch } from "./adapter.ts";
import type { WorkloadResolver } from "./infer.ts";
import { type Folder, GoldenResidual, MEASURES, type ReadKind } from "./measures.ts";
import type { Labels, MeshSpec, Series, SeriesEnd, View } from "./spec.ts";

/** The label that tells apart the reads sharing one query. */
const READ_TAG = "meshql_read";

/** The measures a batch asks for; golden when it does not say. */
export function measuresOf(batch: StatsBatch): readonly MeasureName[] {
  return batch.measures ?? ["golden"];
}

interface Read {
  readonly id: string;
  readonly kind: ReadKind;
  readonly series: Series;
}

/** One query to send, and how its samples are read back. */
interface Planned {
  readonly promql: string;
  readonly measure: MeasureName | "mtls";
  /** The read of every sample, or null: the READ_TAG label says. */
  readonly read: string | null;
}

/** What one key (a resource or a pair) collected. */
interface Collected {
  readonly folders: Map<MeasureName, Folder<MeasureStats[MeasureName]>>;
  readonly mtls: Set<string>;
}

type AnyView<D> = View<D, readonly SeriesEnd<D>[]>;

/** Which series of a view the queries select, how they group them, and whether the directory is needed. */
interface Selection<D> {
  /** The ends whose matchers select series: every end of the view, or the one an edge batch's direction names. */
  readonly ends: readonly SeriesEnd<D>[];
  readonly matchers: (end: SeriesEnd<D>) => Matcher[];
  readonly group: readonly string[];
  readonly directory: boolean;
}

/** A sample as it was filed: for folds that are not measures (the unknown callers' residual). */
type Tap = (key: string, measure: MeasureName, read: string, sample: Sample) => void;

/** The kinds a graph node stands for, in the order a pod's labels are read: its top-level owner first. */
const TOP_KINDS: readonly ResourceKind[] = ["DEPLOYMENT", "STATEFULSET", "DAEMONSET", "JOB", "REPLICASET"];

export class SpecAdapter<D> implements MeshAdapter {
  readonly mesh: MeshName;

  /** resolver: the Kubernetes inventory, when there is a cluster; specs that need one fall back to inference without it. */
  constructor(
    private readonly spec: MeshSpec<D>,
    private readonly backend: InstantQuerier,
    private readonly resolver: WorkloadResolver | null = null,
  ) {
    this.mesh = spec.mesh;
  }

  async resourceStats(batch: StatsBatch): Promise<Map<string, RawStats>> {
    const view = this.spec.resource;
    if (!expresses(view, batch)) return new Map();
    const [end] = view.ends;
    const wanted = new Set(batch.refs.map(refKey));
    const collected = await this.collect(view, batch, false, (labels, directory) => {
      const ref = end.refOf(batch.kind, labels, directory);
      const key = ref && refKey(ref);
      return key && wanted.has(key) ? key : null;
    });
    return new Map([...collected].map(([key, c]) => [key, this.stats(c, false)]));
  }

  async edges(batch: StatsBatch): Promise<EdgeStats[]> {
    const view = this.spec.edge;
    if (!expresses(view, batch)) return [];
    const [src, dst] = view.ends;
    const pairs = new Map<string, { from: ResourceRef; to: ResourceRef }>();
    const collected = await this.collect(view, batch, true, (labels, directory) => {
      const from = src.refOf(batch.kind, labels, directory);
      const to = dst.refOf(batch.kind, labels, directory);
      if (!from || !to) return null; // the peer is outside the mesh, of another kind, or not placeable
      const key = `${refKey(from)}>${refKey(to)}`;
      if (!pairs.has(key)) pairs.set(key, { from, to });
      return key;
    });

    const wanted = new Set(batch.refs.map(refKey));
    const out: EdgeStats[] = [];
    for (const [key, c] of collected) {
      const stats = this.stats(c, true);
      if (Object.keys(stats).length === 0) continue;
      const { from, to } = pairs.get(key)!;
      const mtls = this.mtlsOf(c.mtls);
      // A one-direction batch read only the series of that end: edges of the other direction would be partial.
      if (wanted.has(refKey(from)) && batch.direction !== "FROM") out.push({ direction: "TO", resource: from, peer: to, stats, mtls });
      if (wanted.has(refKey(to)) && batch.direction !== "TO") out.push({ direction: "FROM", resource: to, peer: from, stats, mtls });
    }
    return out;
  }

  /**
   * Workload pairs from the client's view, and per destination in the batch's
   * namespaces, what it received beyond what its known callers sent: the
   * unknown callers, for counts and latency buckets alike.
   */
  async traffic(batch: TrafficBatch): Promise<TrafficPair[]> {
    if (batch.namespaces.length === 0) return [];
    const asked = new Set(batch.namespaces);
    const inAsked = (ref: ResourceRef): boolean => asked.has(ref.namespace ?? "");
    const golden: StatsBatch = {
      kind: "NAMESPACE",
      refs: batch.namespaces.map((name) => ({ kind: "NAMESPACE", namespace: null, name })),
      window: batch.window,
      at: batch.at,
      measures: ["golden"],
      ...latencyField(batch.latency !== false),
    };
    const residuals = new Map<string, { to: ResourceRef; residual: GoldenResidual }>();
    const residualOf = (to: ResourceRef): GoldenResidual => {
      const key = refKey(to);
      let r = residuals.get(key);
      if (!r) residuals.set(key, (r = { to, residual: new GoldenResidual((labels) => this.spec.success.isSuccess(labels)) }));
      return r.residual;
    };

    // Each key holds the residual its samples go to, found once per key rather than per sample.
    const pairs = new Map<string, { from: ResourceRef; to: ResourceRef; residual: GoldenResidual | null }>();
    const receivers = new Map<string, GoldenResidual>();
    const edge = this.spec.edge;
    const [src, dst] = edge.ends;
    const [server] = this.spec.resource.ends;
    const [collected] = await Promise.all([
      this.collect(
        edge,
        golden,
        true,
        (labels, directory) => {
          const from = topRef(src, edge, labels, directory);
          const to = topRef(dst, edge, labels, directory);
          // The namespace matchers are a superset where a mesh names peers loosely (Consul upstreams).
          if (!from || !to || !(inAsked(from) || inAsked(to))) return null;
          const key = `${refKey(from)}>${refKey(to)}`;
          if (!pairs.has(key)) pairs.set(key, { from, to, residual: inAsked(to) ? residualOf(to) : null });
          return key;
        },
        workloadSelection(edge, golden),
        (key, _measure, read, s) => pairs.get(key)!.residual?.add(read, s, -1),
      ),
      this.collect(
        this.spec.resource,
        golden,
        false,
        (labels, directory) => {
          const to = topRef(server, this.spec.resource, labels, directory);
          if (!to || !inAsked(to)) return null;
          const key = refKey(to);
          if (!receivers.has(key)) receivers.set(key, residualOf(to));
          return key;
        },
        workloadSelection(this.spec.resource, golden),
        (key, _measure, read, s) => receivers.get(key)!.add(read, s, 1),
      ),
    ]);

    const out: TrafficPair[] = [];
    for (const [key, c] of collected) {
      const stats = this.stats(c, true);
      const { from, to } = pairs.get(key)!;
      if (stats.golden) out.push({ from, to, stats, mtls: this.mtlsOf(c.mtls) });
    }
    for (const { to, residual } of residuals.values()) {
      const stats = residual.result();
      if (stats) out.push({ from: null, to, stats: { golden: stats }, mtls: null });
    }
    return out;
  }

  async seenResources(scope: ListScope): Promise<ResourceRef[]> {
    const { seen } = this.spec;
    const first = await this.backend.query(seen.query(scope.kind, scope.lookback, scope.namespace, scope.only), scope.at);
    const refined = scope.only?.length ? seen.refine?.(scope.kind, scope.lookback, scope.only, first, this.resolver) : null;
    const samples = refined ? await this.backend.query(refined, scope.at) : first;
    return seen.refs(scope.kind, samples, this.resolver);
  }

  async detect(at: Date): Promise<boolean> {
    const { metric, filters } = this.spec.detect;
    const samples = await this.backend.query(`count(present_over_time(${selector(metric, filters)}[10m]))`, at);
    return samples.some((s) => s.value > 0);
  }

  // ---- the plan ----

  /** Sends the batch's queries concurrently and files every sample under its key (null: nobody asked). */
  private async collect(
    view: AnyView<D>,
    batch: StatsBatch,
    isEdge: boolean,
    keyOf: (labels: Labels, directory: D | null) => string | null,
    selection: Selection<D> = batchSelection(view, batch),
    tap?: Tap,
  ): Promise<Map<string, Collected>> {
    const plan = this.plan(view, batch, isEdge, selection);
    // Measure queries first, the directory last: the order the query log shows.
    const answers: (Promise<Sample[]> | null)[] = plan.map((p) => this.backend.query(p.promql, batch.at));
    const directorySpec = this.spec.directory;
    const directory =
      directorySpec && selection.directory
        ? this.backend.query(directorySpec.query(batch.window, null), batch.at).then((s) => directorySpec.build(s, this.resolver))
        : Promise.resolve(null);
    // The first failure fails the batch at once, as Promise.all would; but each
    // answer is folded (in plan order) as soon as it is there and then dropped,
    // rather than all answers held until the last has come.
    const failed = new Promise<never>((_, reject) => {
      for (const a of [...answers, directory]) a?.catch(reject);
    });
    const first = <T>(p: Promise<T>): Promise<T> => Promise.race([p, failed]);
    const dir = await first(directory);

    const out = new Map<string, Collected>();
    const mtls = this.spec.mtls;
    const ctx = (measure: MeasureName) => ({
      isSuccess: (labels: Labels) => this.spec.success.isSuccess(labels),
      records: (read: string) => rowOf(view, measure, read) !== undefined,
    });
    // A key depends only on the values of the group labels (refOf reads no other): it is
    // found once per distinct resource or pair, and every other sample of it is map lookups.
    const slots = new TupleCache(selection.group, (labels): Slot | null => {
      const key = keyOf(labels, dir);
      if (key === null) return null;
      let c = out.get(key);
      if (!c) out.set(key, (c = { folders: new Map(), mtls: new Set() }));
      return { key, c };
    });
    for (const [i, p] of plan.entries()) {
      const samples = await first(answers[i]!);
      answers[i] = null;
      for (const s of samples) {
        const slot = slots.get(s.labels);
        if (slot === null) continue;
        const { key, c } = slot;
        if (p.measure === "mtls") {
          if (mtls.from === "series" && s.value > 0) c.mtls.add(s.labels[mtls.label] ?? "");
          continue;
        }
        const read = p.read ?? s.labels[READ_TAG] ?? "";
        let folder = c.folders.get(p.measure);
        if (!folder) c.folders.set(p.measure, (folder = MEASURES[p.measure].fold(ctx(p.measure))));
        folder.add(read, s);
        tap?.(key, p.measure, read, s);
        if (isEdge && mtls.from === "counts" && read === MEASURES[p.measure].classified && s.value > 0)
          c.mtls.add(s.labels[mtls.label] ?? "");
      }
    }
    return out;
  }

  /** The queries of a batch: per measure asked for, one per query group the mesh records; then the mTLS read. */
  private plan(view: AnyView<D>, batch: StatsBatch, isEdge: boolean, selection: Selection<D>): Planned[] {
    const range = promRange(batch.window);
    const { group } = selection;
    const ends = selection.ends.map((end) => selection.matchers(end));
    /** Both ends in one expression for edges: series the refs sent, or series sent to them. */
    const expr = (r: Read): string =>
      disjoint(ends)
        .map((matchers) => {
          const sel = selector(r.series.metric, [...r.series.filters, ...matchers]);
          return r.kind === "gauge" ? sel : `${r.kind === "buckets" ? "rate" : "increase"}(${sel}[${range}])`;
        })
        .join(" or ");

    const plan: Planned[] = [];
    const measures = measuresOf(batch);
    for (const measure of measures) {
      const def = MEASURES[measure];
      for (const ids of def.queries) {
        const reads: Read[] = ids.flatMap((id) => {
          const series = rowOf(view, measure, id);
          const kind = def.reads[id as keyof typeof def.reads];
          // Buckets are golden's latency, which a batch may not want.
          if (kind === "buckets" && batch.latency === false) return [];
          return series ? [{ id, kind, series }] : [];
        });
        if (reads.length === 0) continue;
        const extra: string[] = [];
        if (reads.some((r) => r.id === def.classified)) {
          extra.push(...this.spec.success.labels);
          if (isEdge && this.spec.mtls.from === "counts") extra.push(this.spec.mtls.label);
        }
        const labels = [...(reads.some((r) => r.kind === "buckets") ? ["le"] : []), ...group, ...extra];
        if (reads.length === 1) {
          plan.push({ promql: `sum ${by(labels)} (${expr(reads[0]!)})`, measure, read: reads[0]!.id });
        } else {
          const parts = reads.map((r) => tagged(expr(r), READ_TAG, r.id)).join(" or ");
          plan.push({ promql: `sum ${by([READ_TAG, ...labels])} (${parts})`, measure, read: null });
        }
      }
    }
    const mtls = this.spec.mtls;
    if (isEdge && mtls.from === "series" && measures.includes("golden")) {
      plan.push({
        promql: `sum ${by([...group, mtls.label])} (${expr({ id: "mtls", kind: "increase", series: mtls.series })})`,
        measure: "mtls",
        read: null,
      });
    }
    return plan;
  }

  /** The key's stats: every measure it has samples for (for edges: only measures that show traffic). */
  private stats(c: Collected, isEdge: boolean): RawStats {
    const out: Partial<Record<MeasureName, unknown>> = {};
    for (const [measure, folder] of c.folders) {
      const stats = folder.result();
      if (isEdge && !(MEASURES[measure].active as (s: unknown) => boolean)(stats)) continue;
      out[measure] = stats;
    }
    return out as RawStats;
  }

  private mtlsOf(values: ReadonlySet<string>): boolean | null {
    const m = this.spec.mtls;
    return m.from === "always" ? m.value : m.decide(values);
  }
}

/** Where the samples of one key are filed. */
interface Slot {
  readonly key: string;
  readonly c: Collected;
}

/**
 * A value per tuple of label values, computed on the tuple's first sample: nested
 * maps keyed by each label's value (the decoder shares those strings, so their
 * hashes are computed once), with no key string built per sample.
 */
class TupleCache<T> {
  private readonly root = new Map<string | undefined, unknown>();

  constructor(
    private readonly names: readonly string[],
    private readonly compute: (labels: Labels) => T,
  ) {}

  get(labels: Labels): T {
    const { names } = this;
    let level = this.root;
    const last = names.length - 1;
    for (let i = 0; i < last; i++) {
      const value = labels[names[i]!];
      let next = level.get(value) as Map<string | undefined, unknown> | undefined;
      if (next === undefined) level.set(value, (next = new Map()));
      level = next;
    }
    // No label names: one tuple, filed under undefined.
    const value = last < 0 ? undefined : labels[names[last]!];
    let t = level.get(value) as T | undefined;
    if (t === undefined) level.set(value, (t = this.compute(labels)));
    return t;
  }
}

function batchSelection<D>(view: AnyView<D>, batch: StatsBatch): Selection<D> {
  // Edges TO a peer are read from the source end's series, edges FROM one from the destination end's.
  const [src, dst] = view.ends;
  const ends = batch.direction && src && dst ? [batch.direction === "TO" ? src : dst] : view.ends;
  return {
    ends,
    matchers: (end) => end.matchers(batch.kind, batch.refs),
    group: unique(view.ends.flatMap((e) => e.group(batch.kind))),
    directory: view.needsDirectory(batch.kind),
  };
}

function expresses(view: { readonly kinds?: readonly ResourceKind[] }, batch: StatsBatch): boolean {
  return batch.refs.length > 0 && (view.kinds === undefined || view.kinds.includes(batch.kind));
}

function rowOf<D>(view: AnyView<D>, measure: MeasureName, read: string): Series | undefined {
  return (view.rows[measure] as Readonly<Record<string, Series | undefined>> | undefined)?.[read];
}

/**
 * Selectors for "the first end is one of the refs, or the second is", made
 * disjoint so that Prometheus reads each series once: the second end's
 * series leave out the first end's, through the negation of its matchers
 * (not (a and b) = not a, or a and not b).
 */
export function disjoint(ends: readonly (readonly Matcher[])[]): Matcher[][] {
  const [first, second, ...rest] = ends;
  if (!first) return [];
  if (!second) return [[...first]];
  if (rest.length > 0) throw new Error("a view has one or two ends");
  return [[...first], ...first.map((m, i) => [...second, ...first.slice(0, i), negate(m)])];
}

/** Selects every series of the batch's namespaces (on any end), grouped so that any workload kind can be named. */
function workloadSelection<D>(view: AnyView<D>, namespaces: StatsBatch): Selection<D> {
  const kinds = TOP_KINDS.filter((k) => view.kinds === undefined || view.kinds.includes(k));
  return {
    ends: view.ends,
    matchers: (end) => end.matchers("NAMESPACE", namespaces.refs),
    group: unique(view.ends.flatMap((e) => kinds.flatMap((k) => e.group(k)))),
    directory: kinds.some((k) => view.needsDirectory(k)),
  };
}

/** The top-level workload an end of a series names: the first kind, in TOP_KINDS order, that its labels name. */
function topRef<D>(end: SeriesEnd<D>, view: AnyView<D>, labels: Labels, directory: D | null): ResourceRef | null {
  for (const kind of TOP_KINDS) {
    if (view.kinds !== undefined && !view.kinds.includes(kind)) continue;
    const ref = end.refOf(kind, labels, directory);
    if (ref) return ref;
  }
  return null;
}

function unique(labels: readonly string[]): string[] {
  return [...new Set(labels)];
}
