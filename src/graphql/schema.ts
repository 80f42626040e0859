import "reflect-metadata";
import { type GraphQLSchema, lexicographicSortSchema, printSchema } from "graphql";
import { buildSchema } from "type-graphql";
import { QueryResolver, ResourceResolver } from "./resolvers.ts";
import { NO_PUBSUB, SubscriptionResolver } from "./subscriptions.ts";

export function buildMeshqlSchema(): Promise<GraphQLSchema> {
  return buildSchema({ resolvers: [QueryResolver, ResourceResolver, SubscriptionResolver], pubSub: NO_PUBSUB, validate: false });
}

/** The SDL checked in as schema/schema.graphql: sorted, so diffs show real changes only. */
export async function printMeshqlSchema(): Promise<string> {
  return `${printSchema(lexicographicSortSchema(await buildMeshqlSchema()))}\n`;
}
