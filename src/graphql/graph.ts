// The workload graph: types and resolvers. Node metrics of workloads resolve
// through the same batched loaders as Resource.metrics.

import type { GraphQLResolveInfo } from "graphql";
import { Arg, Args, Ctx, Field, FieldResolver, ID, Info, ObjectType, Query, registerEnumType, Resolver, Root } from "type-graphql";
import { EMPTY_GOLDEN, type GoldenMetrics, goldenMetrics } from "../domain/metrics.ts";
import type { Window } from "../domain/window.ts";
import {
  edgeKey,
  type GraphBasis,
  type GraphEdgeView,
  type GraphNodeType as DomainNodeType,
  type GraphNodeView,
  type GraphView,
  type IndexedGraph,
} from "../service/graph.ts";
import type { MetricsQuery, RequestScope } from "../service/types.ts";
import type { GraphQLContext } from "./context.ts";
import { DateTimeScalar, DurationScalar } from "./scalars.ts";
import { selectsLatency } from "./selection.ts";
import { SERIES_HELP, SeriesArgs } from "./series-args.ts";
import { Resource, TrafficMetrics } from "./types.ts";

export const GraphNodeType = { WORKLOAD: "WORKLOAD", UNKNOWN: "UNKNOWN", HIDDEN: "HIDDEN" } as const satisfies Record<
  DomainNodeType,
  DomainNodeType
>;
registerEnumType(GraphNodeType, {
  name: "GraphNodeType",
  description:
    "WORKLOAD: a named workload. UNKNOWN: callers the mesh cannot name (unmeshed clients, ingress without a proxy). HIDDEN: a " +
    "peer the user may not see.",
});

@ObjectType({ description: "A workload in the graph, or a stand-in for callers that cannot or may not be named." })
export class GraphNode {
  @Field(() => ID, { description: "Stable: KIND/namespace/name for a workload; opaque for HIDDEN; `unknown` for UNKNOWN." }) id!: string;
  @Field(() => GraphNodeType) type!: DomainNodeType;
  @Field(() => Resource, { nullable: true, description: "null for UNKNOWN and HIDDEN." }) resource!: Resource | null;
  @Field(() => Boolean, { description: "In a namespace that was not asked for." }) outside!: boolean;

  view!: GraphNodeView;
  query!: MetricsQuery;
  basis!: GraphBasis;

  static of(view: GraphNodeView, query: MetricsQuery, basis: GraphBasis): GraphNode {
    const resource = view.resource && Resource.of(view.resource.ref, view.resource);
    return Object.assign(new GraphNode(), { id: view.id, type: view.type, resource, outside: view.outside, view, query, basis });
  }
}

@ObjectType({ description: "Traffic from one node to another over the graph's window." })
export class GraphEdge {
  @Field(() => GraphNode) source!: GraphNode;
  @Field(() => GraphNode) destination!: GraphNode;
  @Field(() => Boolean, {
    nullable: true,
    description: "true when all of the traffic was mutual TLS, false when any was not; null when the mesh does not say.",
  })
  mtls!: boolean | null;
  @Field(() => TrafficMetrics, { nullable: true }) metrics!: TrafficMetrics;

  basis!: GraphBasis;
}

@ObjectType({ description: "Workloads of every kind and the traffic between them, over one window ending at `timestamp`." })
export class Graph {
  @Field(() => DateTimeScalar) timestamp!: Date;
  @Field(() => DurationScalar) window!: Window;
  @Field(() => [GraphNode]) nodes!: GraphNode[];
  @Field(() => [GraphEdge]) edges!: GraphEdge[];

  static of(g: GraphView): Graph {
    const query = { window: g.window, at: g.timestamp };
    const nodes = new Map(g.nodes.map((n) => [n.id, GraphNode.of(n, query, g.basis)]));
    const edge = (e: GraphEdgeView): GraphEdge =>
      Object.assign(new GraphEdge(), {
        source: nodes.get(e.source.id)!,
        destination: nodes.get(e.destination.id)!,
        mtls: e.mtls,
        metrics: TrafficMetrics.of(e.metrics),
        basis: g.basis,
      });
    return Object.assign(new Graph(), { timestamp: g.timestamp, window: g.window, nodes: [...nodes.values()], edges: g.edges.map(edge) });
  }
}

/** Query.graph and Subscription.graph: the edges' latency is read only when their metrics select it. */
export async function resolveGraph(
  scope: RequestScope,
  namespaces: readonly string[] | null | undefined,
  q: MetricsQuery,
  info: GraphQLResolveInfo,
): Promise<Graph> {
  return Graph.of(await scope.graph(namespaces, q, selectsLatency(info, "edges", "metrics")));
}

@Resolver()
export class GraphQueryResolver {
  @Query(() => Graph, { description: "The workload graph of the namespaces; without namespaces, of every namespace the user may list." })
  async graph(
    @Ctx() { scope }: GraphQLContext,
    @Arg("namespaces", () => [String], { nullable: true }) namespaces: string[] | null | undefined,
    @Arg("window", () => DurationScalar, {
      nullable: true,
      defaultValue: "30s",
      description: "How far back from `at` to look; null: the server's --default-window.",
    })
    window: string | null,
    @Info() info: GraphQLResolveInfo,
    @Arg("at", () => DateTimeScalar, { nullable: true }) at?: Date | null,
  ): Promise<Graph> {
    return resolveGraph(scope, namespaces, scope.metricsQuery({ window, at }), info);
  }
}

@Resolver(() => GraphNode)
export class GraphNodeResolver {
  @FieldResolver(() => TrafficMetrics, {
    nullable: true,
    description:
      "What the node received over the graph's window, as Resource.metrics. For UNKNOWN and HIDDEN nodes: the sum of this " +
      "graph's edges into them, without latency. null when the backend failed.",
  })
  async metrics(@Root() node: GraphNode, @Ctx() { scope }: GraphQLContext, @Info() info: GraphQLResolveInfo): Promise<TrafficMetrics> {
    if (node.view.received) return TrafficMetrics.of(node.view.received);
    return TrafficMetrics.of(await scope.metrics(node.view.resource!.ref, node.query, selectsLatency(info)));
  }

  @FieldResolver(() => [TrafficMetrics], {
    nullable: true,
    description: `${SERIES_HELP} For UNKNOWN and HIDDEN nodes, as their metrics: from this graph's edges.`,
  })
  async series(
    @Root() node: GraphNode,
    @Ctx() { scope }: GraphQLContext,
    @Args(() => SeriesArgs) args: SeriesArgs,
    @Info() info: GraphQLResolveInfo,
  ): Promise<TrafficMetrics[]> {
    const steps = scope.seriesQuery(args);
    if (node.view.resource) {
      return (await scope.series(node.view.resource.ref, steps, selectsLatency(info))).map((m) => TrafficMetrics.of(m));
    }
    // What UNKNOWN and HIDDEN nodes received is summed from edges, without latency: no bucket query.
    return stepGraphs(scope, node.basis, args, false, (g) => g.nodes.get(node.id)?.received ?? null);
  }
}

@Resolver(() => GraphEdge)
export class GraphEdgeResolver {
  @FieldResolver(() => [TrafficMetrics], { nullable: true, description: SERIES_HELP })
  series(
    @Root() edge: GraphEdge,
    @Ctx() { scope }: GraphQLContext,
    @Args(() => SeriesArgs) args: SeriesArgs,
    @Info() info: GraphQLResolveInfo,
  ): Promise<TrafficMetrics[]> {
    const key = edgeKey(edge.source.id, edge.destination.id);
    return stepGraphs(scope, edge.basis, args, selectsLatency(info), (g) => g.edges.get(key)?.metrics ?? null);
  }
}

/** One point per step of the graph's series: what `pick` finds in that step's graph, else no traffic. */
async function stepGraphs(
  scope: RequestScope,
  basis: GraphBasis,
  args: SeriesArgs,
  latency: boolean,
  pick: (g: IndexedGraph) => GoldenMetrics | null,
): Promise<TrafficMetrics[]> {
  const steps = scope.seriesQuery(args);
  const graphs = await scope.graphSeries(basis, steps, latency);
  return graphs.map((g) => TrafficMetrics.of(pick(g) ?? goldenMetrics(EMPTY_GOLDEN, g.view.window, g.view.timestamp)));
}
