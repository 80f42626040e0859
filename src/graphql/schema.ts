import "reflect-metadata";
import { type GraphQLSchema, lexicographicSortSchema, printSchema } from "graphql";
import { buildSchema } from "type-graphql";
import { GraphEdgeResolver, GraphNodeResolver, GraphQueryResolver } from "./graph.ts";
import { EdgeResolver, QueryResolver, ResourceResolver } from "./resolvers.ts";
import { NO_PUBSUB, SubscriptionResolver } from "./subscriptions.ts";

export function buildMeshqlSchema(): Promise<GraphQLSchema> {
  return buildSchema({
    resolvers: [
      QueryResolver,
      ResourceResolver,
      EdgeResolver,
      GraphQueryResolver,
      GraphNodeResolver,
      GraphEdgeResolver,
      SubscriptionResolver,
    ],
    pubSub: NO_PUBSUB,
    validate: false,
  });
}

/** The SDL checked in as schema/schema.graphql: sorted, so diffs show real changes only. */
export async function printMeshqlSchema(): Promise<string> {
  return `${printSchema(lexicographicSortSchema(await buildMeshqlSchema()))}\n`;
}
