// The GraphQL object types. Names here are a public contract: UIs, codegen and
// the SMI shim's documentation build on them.

import { Field, Float, Int, ObjectType, registerEnumType } from "type-graphql";
import type { EdgeDirection as DomainEdgeDirection } from "../domain/edges.ts";
import { RESOURCE_KINDS, type ResourceKind as DomainKind } from "../domain/kinds.ts";
import { type GoldenMetrics, tcpMetrics } from "../domain/metrics.ts";
import type { ResourceRef } from "../domain/resource.ts";
import type { Window } from "../domain/window.ts";
import type { EdgeView, MeasureReader, ResourceView } from "../service/types.ts";
import { DateTimeScalar, DurationScalar } from "./scalars.ts";

export const ResourceKind = Object.fromEntries(RESOURCE_KINDS.map((k) => [k, k])) as { [K in DomainKind]: K };
registerEnumType(ResourceKind, { name: "ResourceKind", description: "The Kubernetes kinds meshql reports on." });

export const EdgeDirection = { FROM: "FROM", TO: "TO" } as const satisfies Record<DomainEdgeDirection, DomainEdgeDirection>;
registerEnumType(EdgeDirection, {
  name: "EdgeDirection",
  description: "Seen from the resource: FROM, the peer called it; TO, it called the peer.",
});

@ObjectType({ description: "Latency percentiles in milliseconds. Every field is null when there was no traffic." })
export class Latency {
  @Field(() => Float, { nullable: true }) p50!: number | null;
  @Field(() => Float, { nullable: true }) p90!: number | null;
  @Field(() => Float, { nullable: true }) p95!: number | null;
  @Field(() => Float, { nullable: true }) p99!: number | null;
}

@ObjectType({
  description:
    "TCP connections over one window, seen from the server: a resource's inbound connections (bytes read are what its clients " +
    "sent, as `linkerd viz stat` shows), an edge's connections between its client and server.",
})
export class TcpMetrics {
  @Field(() => Float, {
    nullable: true,
    description: "Connections open at the end of the window; null where the mesh keeps no gauge of them (Istio).",
  })
  openConnections!: number | null;
  @Field(() => Float) readBytesPerSecond!: number;
  @Field(() => Float) writeBytesPerSecond!: number;
  @Field(() => Float, { description: "Connections opened in the window (extrapolated like every count)." }) connectionsOpened!: number;
  @Field(() => Float) connectionsClosed!: number;
}

@ObjectType({ description: "The golden metrics over one window." })
export class TrafficMetrics {
  @Field(() => DateTimeScalar, { description: "The end of the window." }) timestamp!: Date;
  @Field(() => DurationScalar) window!: Window;
  @Field(() => Float, {
    description:
      "Responses that were not failures (4xx counts as success). May be fractional: counts are extrapolated to the window, as " +
      "Prometheus' increase() does.",
  })
  successCount!: number;
  @Field(() => Float, { description: "Failed responses: 5xx, or a gRPC error where the mesh reports one." }) failureCount!: number;
  @Field(() => Float) requestCount!: number;
  @Field(() => Float) requestsPerSecond!: number;
  @Field(() => Float, { nullable: true, description: "successCount / requestCount, between 0 and 1; null when there were no requests." })
  successRate!: number | null;
  @Field(() => Latency) latency!: Latency;

  /** Reads the other measures, only for fields a document selects: others cost no query. */
  private read: MeasureReader = async () => null;

  @Field(() => TcpMetrics, { nullable: true, description: "TCP over the same window; null where the mesh records no TCP for it." })
  async tcp(): Promise<TcpMetrics | null> {
    const raw = await this.read("tcp");
    return raw && Object.assign(new TcpMetrics(), tcpMetrics(raw, this.window));
  }

  static of(m: GoldenMetrics, read?: MeasureReader): TrafficMetrics {
    const out = Object.assign(new TrafficMetrics(), m, { latency: Object.assign(new Latency(), m.latency) });
    if (read) out.read = read;
    return out;
  }
}

@ObjectType({ description: "Pods of a resource, and how many of them run a mesh proxy." })
export class PodCounts {
  @Field(() => Int) meshed!: number;
  @Field(() => Int) total!: number;
}

@ObjectType({ description: "A Kubernetes label." })
export class Label {
  @Field(() => String) key!: string;
  @Field(() => String) value!: string;
}

@ObjectType({ description: "A Kubernetes resource whose traffic meshql reports." })
export class Resource {
  @Field(() => ResourceKind) kind!: DomainKind;
  @Field(() => String, { nullable: true, description: "null for namespaces" }) namespace!: string | null;
  @Field(() => String) name!: string;
  @Field(() => Boolean, {
    nullable: true,
    description: "true: exists in the cluster; false: had traffic but no longer exists; null: meshql has no cluster connection.",
  })
  inCluster!: boolean | null;

  /** Set when the inventory knows more than the name. */
  view!: ResourceView | null;

  get ref(): ResourceRef {
    return { kind: this.kind, namespace: this.namespace, name: this.name };
  }

  static of(ref: ResourceRef, view: ResourceView | null = null): Resource {
    return Object.assign(new Resource(), {
      kind: ref.kind,
      namespace: ref.namespace,
      name: ref.name,
      inCluster: view?.inCluster ?? null,
      view,
    });
  }
}

@ObjectType({ description: "Traffic between a resource and one peer, with the golden metrics of that traffic." })
export class Edge {
  @Field(() => EdgeDirection) direction!: DomainEdgeDirection;
  @Field(() => Resource) resource!: Resource;
  @Field(() => Resource) peer!: Resource;
  @Field(() => TrafficMetrics, { nullable: true, description: "null only with an error, which then stays in this field." })
  metrics!: TrafficMetrics | null;
  @Field(() => Boolean, {
    nullable: true,
    description: "true when all of the traffic was mutual TLS, false when any of it was not; null when the mesh does not say.",
  })
  mtls!: boolean | null;

  /** What the service answered, for the edge's series. */
  view!: EdgeView;

  static of(e: EdgeView, resourceView: ResourceView | null): Edge {
    return Object.assign(new Edge(), {
      view: e,
      direction: e.direction,
      resource: Resource.of(e.resource, resourceView),
      peer: Resource.of(e.peer, e.peerView),
      metrics: TrafficMetrics.of(e.metrics, e.measure),
      mtls: e.mtls,
    });
  }
}
