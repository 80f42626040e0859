// Live fields: each event is the field's query evaluated at the latest scrape
// boundary. The WebSocket transport (src/server/subscriptions.ts) drives the
// clock and executes the selection; these resolvers only evaluate it once.

import type { GraphQLResolveInfo } from "graphql";
import { Arg, Ctx, Info, Resolver, Subscription } from "type-graphql";
import { UnsupportedError } from "../domain/errors.ts";
import type { ResourceKind as DomainKind } from "../domain/kinds.ts";
import type { GraphQLContext } from "./context.ts";
import { findResource, listResources } from "./resolvers.ts";
import { DurationScalar } from "./scalars.ts";
import { Graph, resolveGraph } from "./graph.ts";
import { Resource, ResourceKind } from "./types.ts";

const EVERY_HELP = "How often an event comes; null: the backend's scrape interval, which is also the minimum.";

/** Every Subscription field takes this argument: the transport reads it to set the stream's interval. */
export const EVERY_ARGUMENT = "every";

// graphql's own subscribe() would run a stream per subscriber; the transport shares them instead.
const overWebSocketOnly = (): never => {
  throw new UnsupportedError("subscriptions are served over WebSocket (graphql-transport-ws protocol) at /graphql");
};

/** type-graphql insists on a PubSub even when every field brings its own subscribe: none is used. */
export const NO_PUBSUB = { publish: overWebSocketOnly, subscribe: overWebSocketOnly };

@Resolver()
export class SubscriptionResolver {
  @Subscription(() => [Resource], {
    subscribe: overWebSocketOnly,
    description: "Query.resources, again at every interval.",
  })
  resources(
    @Ctx() { scope }: GraphQLContext,
    @Arg("kind", () => ResourceKind) kind: DomainKind,
    @Arg("namespace", () => String, { nullable: true }) namespace?: string | null,
    @Arg("labelSelector", () => String, { nullable: true }) labelSelector?: string | null,
    @Arg(EVERY_ARGUMENT, () => DurationScalar, { nullable: true, description: EVERY_HELP }) _every?: string | null,
  ): Promise<Resource[]> {
    return listResources(scope, kind, namespace, labelSelector);
  }

  @Subscription(() => Resource, {
    nullable: true,
    subscribe: overWebSocketOnly,
    description: "Query.resource, again at every interval; null while the inventory does not know it.",
  })
  resource(
    @Ctx() { scope }: GraphQLContext,
    @Arg("kind", () => ResourceKind) kind: DomainKind,
    @Arg("name", () => String) name: string,
    @Arg("namespace", () => String, { nullable: true }) namespace?: string | null,
    @Arg(EVERY_ARGUMENT, () => DurationScalar, { nullable: true, description: EVERY_HELP }) _every?: string | null,
  ): Promise<Resource | null> {
    return findResource(scope, kind, namespace, name);
  }

  @Subscription(() => Graph, {
    subscribe: overWebSocketOnly,
    description: "Query.graph, again at every interval.",
  })
  async graph(
    @Ctx() { scope }: GraphQLContext,
    @Arg("namespaces", () => [String], { nullable: true }) namespaces: string[] | null | undefined,
    @Arg("window", () => DurationScalar, {
      nullable: true,
      defaultValue: "30s",
      description: "How far back from each event's moment to look; null: the server's --default-window.",
    })
    window: string | null,
    @Info() info: GraphQLResolveInfo,
    @Arg(EVERY_ARGUMENT, () => DurationScalar, { nullable: true, description: EVERY_HELP }) _every?: string | null,
  ): Promise<Graph> {
    return resolveGraph(scope, namespaces, scope.metricsQuery({ window }), info);
  }
}
