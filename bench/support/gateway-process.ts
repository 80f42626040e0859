// A gateway (or the bare Apollo + fastify `{ hello }` server) in a process of
// its own, so benches can read its peak RSS and CPU profile apart from theirs.
//
//   node --import tsx bench/support/gateway-process.ts --prometheus URL [--mesh linkerd|istio|consul] [--cache-ttl MS] [--no-sharing]
//     [--max-concurrent N]
//   node --import tsx bench/support/gateway-process.ts --bare
//
// Prints one JSON line {"url": ...} when listening; exits cleanly on SIGTERM
// (so that --cpu-prof writes its profile).

import "reflect-metadata";
import { ApolloServer } from "@apollo/server";
import fastifyApollo from "@as-integrations/fastify";
import Fastify, { type FastifyInstance } from "fastify";
import { parseArgs } from "node:util";
import type { MeshName } from "../../src/mesh/adapter.ts";
import { testGateway } from "../../test/support/gateway.ts";

const { values } = parseArgs({
  options: {
    prometheus: { type: "string" },
    mesh: { type: "string", default: "linkerd" },
    "cache-ttl": { type: "string", default: "0" },
    "no-sharing": { type: "boolean", default: false },
    "max-concurrent": { type: "string", default: "16" },
    bare: { type: "boolean", default: false },
  },
});

async function bare(): Promise<FastifyInstance> {
  const app = Fastify({ logger: false });
  const apollo = new ApolloServer({ typeDefs: "type Query { hello: String! }", resolvers: { Query: { hello: () => "world" } } });
  await apollo.start();
  await app.register(fastifyApollo(apollo), { path: "/graphql" });
  return app;
}

async function meshql(): Promise<FastifyInstance> {
  if (!values.prometheus) throw new Error("--prometheus URL is required");
  const gateway = await testGateway(values.prometheus, values.mesh as MeshName, {
    cacheTtlMs: Number(values["cache-ttl"]),
    shareExecutions: !values["no-sharing"],
    maxConcurrentDocuments: Number(values["max-concurrent"]),
    queryTimeoutMs: 600_000,
  });
  return gateway.app;
}

const app = values.bare ? await bare() : await meshql();
const url = await app.listen({ host: "127.0.0.1", port: 0 });
process.stdout.write(`${JSON.stringify({ url })}\n`);
process.once("SIGTERM", () => {
  void app.close().finally(() => process.exit(0));
});
