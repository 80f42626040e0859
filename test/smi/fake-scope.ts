// A ResourceScope double for the SMI unit tests: canned views and metrics,
// and a record of every call, so tests can prove what reached the service.

import { compareEdges, type EdgeDirection } from "../../src/domain/edges.ts";
import type { ResourceKind } from "../../src/domain/kinds.ts";
import { goldenMetrics, NO_LATENCY, type GoldenMetrics, type GoldenStats } from "../../src/domain/metrics.ts";
import { validateLabelName } from "../../src/domain/names.ts";
import { refKey, resourceRef, type ResourceRef } from "../../src/domain/resource.ts";
import { parseSelector } from "../../src/domain/selector.ts";
import { parseAt } from "../../src/domain/time.ts";
import { parseWindow, type Window } from "../../src/domain/window.ts";
import type { EdgeView, MetricsQuery, ResourceScope, ResourceView } from "../../src/service/types.ts";

export const NOW = new Date("2026-11-01T12:00:00Z");

export interface FakeData {
  readonly resources: ResourceView[];
  readonly stats: Map<string, GoldenStats>;
  readonly edges: Map<string, Array<{ direction: EdgeDirection; peer: ResourceRef; stats: GoldenStats }>>;
  readonly fail?: unknown;
  /** Default "kubernetes": a cluster says what exists. */
  readonly inventorySource?: "backend" | "kubernetes";
}

export const view = (ref: ResourceRef): ResourceView => ({ ref, labels: null, pods: null, inCluster: null });

export class FakeScope implements ResourceScope {
  readonly now = NOW;
  readonly calls: string[] = [];
  readonly inventorySource: "backend" | "kubernetes";
  constructor(private readonly data: FakeData) {
    this.inventorySource = data.inventorySource ?? "kubernetes";
  }

  metricsQuery(
    input: { window?: string | Window | null; at?: string | Date | null },
    fields: { window?: string; at?: string } = {},
  ): MetricsQuery {
    const shown = typeof input.window === "object" && input.window !== null ? `${input.window.seconds}s` : (input.window ?? "-");
    this.calls.push(`metricsQuery ${shown} ${String(input.at ?? "-")}`);
    const window: Window =
      input.window == null
        ? { seconds: 30 }
        : typeof input.window === "string"
          ? parseWindow(input.window, fields.window ?? "window")
          : input.window;
    const at = input.at == null ? this.now : typeof input.at === "string" ? parseAt(input.at, this.now, fields.at ?? "at") : input.at;
    return { window, at };
  }

  async getResource(kind: ResourceKind, namespace: string | null | undefined, name: string): Promise<ResourceView | null> {
    const ref = resourceRef(kind, namespace, name);
    this.calls.push(`getResource ${refKey(ref)}`);
    if (this.data.fail) throw this.data.fail;
    return this.data.resources.find((r) => refKey(r.ref) === refKey(ref)) ?? null;
  }

  async listResources(kind: ResourceKind, namespace: string | null | undefined, labelSelector?: string | null): Promise<ResourceView[]> {
    if (namespace != null) validateLabelName("namespace", namespace);
    if (labelSelector != null) parseSelector(labelSelector);
    this.calls.push(`listResources ${kind} ${namespace ?? "*"}`);
    if (this.data.fail) throw this.data.fail;
    return this.data.resources.filter((r) => r.ref.kind === kind && (namespace == null || r.ref.namespace === namespace));
  }

  async metrics(ref: ResourceRef, q: MetricsQuery): Promise<GoldenMetrics> {
    this.calls.push(`metrics ${refKey(ref)}`);
    return goldenMetrics(this.data.stats.get(refKey(ref)) ?? { success: 0, failure: 0, latency: NO_LATENCY }, q.window, q.at);
  }

  async measure(ref: ResourceRef): Promise<null> {
    this.calls.push(`measure ${refKey(ref)}`);
    return null;
  }

  async edges(ref: ResourceRef, q: MetricsQuery, direction?: EdgeDirection | null): Promise<EdgeView[]> {
    this.calls.push(`edges ${refKey(ref)}`);
    return (this.data.edges.get(refKey(ref)) ?? [])
      .filter((e) => direction == null || e.direction === direction)
      .map((e) => ({
        direction: e.direction,
        resource: ref,
        peer: e.peer,
        peerView: null,
        metrics: goldenMetrics(e.stats, q.window, q.at),
        mtls: true,
        measure: async () => null,
      }))
      .sort(compareEdges);
  }
}
