// Resolvers translate GraphQL arguments into service calls and service answers
// into GraphQL objects. They check nothing and query nothing themselves.

import type { GraphQLResolveInfo } from "graphql";
import { Arg, Args, Ctx, FieldResolver, Info, Query, Resolver, Root } from "type-graphql";
import type { EdgeDirection as DomainEdgeDirection } from "../domain/edges.ts";
import type { ResourceKind as DomainKind } from "../domain/kinds.ts";
import type { RequestScope } from "../service/types.ts";
import type { GraphQLContext } from "./context.ts";
import { DateTimeScalar, DurationScalar } from "./scalars.ts";
import { selectsLatency } from "./selection.ts";
import { SERIES_HELP, SeriesArgs } from "./series-args.ts";
import { Edge, EdgeDirection, Label, PodCounts, Resource, ResourceKind, TrafficMetrics } from "./types.ts";

@Resolver()
export class QueryResolver {
  @Query(() => Resource, {
    nullable: true,
    description: "One resource, or null when the inventory does not know it. Omit namespace for NAMESPACE.",
  })
  async resource(
    @Ctx() { scope }: GraphQLContext,
    @Arg("kind", () => ResourceKind) kind: DomainKind,
    @Arg("name", () => String) name: string,
    @Arg("namespace", () => String, { nullable: true }) namespace?: string | null,
  ): Promise<Resource | null> {
    return findResource(scope, kind, namespace, name);
  }

  @Query(() => [Resource], {
    description:
      "Every resource of a kind: in one namespace, or in all of them when namespace is omitted. labelSelector uses kubectl's " +
      "syntax and needs a cluster connection.",
  })
  async resources(
    @Ctx() { scope }: GraphQLContext,
    @Arg("kind", () => ResourceKind) kind: DomainKind,
    @Arg("namespace", () => String, { nullable: true }) namespace?: string | null,
    @Arg("labelSelector", () => String, { nullable: true }) labelSelector?: string | null,
  ): Promise<Resource[]> {
    return listResources(scope, kind, namespace, labelSelector);
  }
}

/** Shared by Query and Subscription: a live field is its query, evaluated again and again. */
export async function findResource(
  scope: RequestScope,
  kind: DomainKind,
  namespace: string | null | undefined,
  name: string,
): Promise<Resource | null> {
  const view = await scope.getResource(kind, namespace, name);
  return view && Resource.of(view.ref, view);
}

export async function listResources(
  scope: RequestScope,
  kind: DomainKind,
  namespace?: string | null,
  labelSelector?: string | null,
): Promise<Resource[]> {
  const views = await scope.listResources(kind, namespace, labelSelector);
  return views.map((v) => Resource.of(v.ref, v));
}

// The schema's default is part of the public contract; an explicit null means the server's --default-window.
const WINDOW_HELP = "How far back from `at` to look; null: the server's --default-window. At least twice the backend's scrape interval.";

@Resolver(() => Resource)
export class ResourceResolver {
  @FieldResolver(() => TrafficMetrics, {
    nullable: true,
    description:
      "The golden metrics over `window`, ending at `at` (default: now). null only with an error (e.g. BACKEND_UNAVAILABLE), " +
      "which then stays in this field.",
  })
  async metrics(
    @Root() resource: Resource,
    @Ctx() { scope }: GraphQLContext,
    @Arg("window", () => DurationScalar, { nullable: true, defaultValue: "30s", description: WINDOW_HELP }) window: string | null,
    @Info() info: GraphQLResolveInfo,
    @Arg("at", () => DateTimeScalar, { nullable: true }) at?: Date | null,
  ): Promise<TrafficMetrics> {
    const q = scope.metricsQuery({ window, at });
    const metrics = await scope.metrics(resource.ref, q, selectsLatency(info));
    return TrafficMetrics.of(metrics, (measure) => scope.measure(resource.ref, q, measure));
  }

  @FieldResolver(() => [Edge], {
    nullable: true,
    description:
      "Traffic with each peer in any namespace; both directions unless `direction` is given. Peers are of the resource's own " +
      "kind unless `peerKinds` names others (peers of another kind are top-level workloads: a Deployment, not its ReplicaSet). " +
      "FROM before TO, then by peer namespace and name. null only with an error, which then stays in this field.",
  })
  async edges(
    @Root() resource: Resource,
    @Ctx() { scope }: GraphQLContext,
    @Info() info: GraphQLResolveInfo,
    @Arg("window", () => DurationScalar, { nullable: true, defaultValue: "30s", description: WINDOW_HELP }) window: string | null,
    @Arg("at", () => DateTimeScalar, { nullable: true }) at?: Date | null,
    @Arg("direction", () => EdgeDirection, { nullable: true }) direction?: DomainEdgeDirection | null,
    @Arg("peerKinds", () => [ResourceKind], { nullable: true, description: "Kinds of peers to include; default: the resource's own kind." })
    peerKinds?: DomainKind[] | null,
  ): Promise<Edge[]> {
    const q = scope.metricsQuery({ window, at });
    // The edge's own resource is this one: it shares its inventory view (labels, pods, inCluster).
    const edges = await scope.edges(resource.ref, q, direction, peerKinds, selectsLatency(info, "metrics"));
    return edges.map((e) => Edge.of(e, resource.view));
  }

  @FieldResolver(() => [TrafficMetrics], { nullable: true, description: SERIES_HELP })
  async series(
    @Root() resource: Resource,
    @Ctx() { scope }: GraphQLContext,
    @Args(() => SeriesArgs) args: SeriesArgs,
    @Info() info: GraphQLResolveInfo,
  ): Promise<TrafficMetrics[]> {
    const steps = scope.seriesQuery(args);
    return (await scope.series(resource.ref, steps, selectsLatency(info))).map((m) => TrafficMetrics.of(m));
  }

  @FieldResolver(() => [Label], { nullable: true, description: "The resource's Kubernetes labels; null without a cluster connection." })
  labels(@Root() resource: Resource): Label[] | null {
    const labels = resource.view?.labels;
    return labels ? Object.entries(labels).map(([key, value]) => Object.assign(new Label(), { key, value })) : null;
  }

  @FieldResolver(() => PodCounts, { nullable: true, description: "Meshed and total pods; null without a cluster connection." })
  pods(@Root() resource: Resource): PodCounts | null {
    const pods = resource.view?.pods;
    return pods ? Object.assign(new PodCounts(), pods) : null;
  }
}

@Resolver(() => Edge)
export class EdgeResolver {
  @FieldResolver(() => [TrafficMetrics], { nullable: true, description: SERIES_HELP })
  async series(
    @Root() edge: Edge,
    @Ctx() { scope }: GraphQLContext,
    @Args(() => SeriesArgs) args: SeriesArgs,
    @Info() info: GraphQLResolveInfo,
  ): Promise<TrafficMetrics[]> {
    const steps = scope.seriesQuery(args);
    return (await scope.edgeSeries(edge.view, steps, selectsLatency(info))).map((m) => TrafficMetrics.of(m));
  }
}
