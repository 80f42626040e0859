// A gateway (or the bare Apollo + fastify `{ hello }` server) in a process of
// its own, so benches can read its peak RSS and CPU profile apart from theirs.
//
//   node gateway-process.js --prometheus URL [--mesh linkerd|istio|consul] [--cache-ttl MS] [--no-sharing]
//     [--max-concurrent N] [--profile-dir DIR]
//   node gateway-process.js --bare
//
// (compiled by bench/support/build.ts; `node --import tsx` runs the source.)
// Prints one JSON line {"url": ...} when listening; exits cleanly on SIGTERM.
// With --profile-dir, SIGUSR2 starts the CPU profiler and SIGTERM writes
// DIR/gateway.cpuprofile: the profile leaves out start-up and warm-up.

import "reflect-metadata";
import { ApolloServer } from "@apollo/server";
import fastifyApollo from "@as-integrations/fastify";
import Fastify, { type FastifyInstance } from "fastify";
import { writeFileSync } from "node:fs";
import { Session } from "node:inspector/promises";
import { join } from "node:path";
import { parseArgs } from "node:util";
import type { MeshName } from "../../src/mesh/adapter.ts";
import { DEFAULT_SERVER_LIMITS } from "../../src/server/limits.ts";
import { testGateway } from "../../test/support/gateway.ts";

const { values } = parseArgs({
  options: {
    prometheus: { type: "string" },
    mesh: { type: "string", default: "linkerd" },
    "cache-ttl": { type: "string", default: "0" },
    "no-sharing": { type: "boolean", default: false },
    "max-concurrent": { type: "string", default: "16" },
    bare: { type: "boolean", default: false },
    "profile-dir": { type: "string" },
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
    // A 5,000-Deployment document on a loaded machine can compute for minutes without a byte on the socket.
    serverLimits: { ...DEFAULT_SERVER_LIMITS, idleTimeoutMs: 0 },
  });
  return gateway.app;
}

const app = values.bare ? await bare() : await meshql();
const url = await app.listen({ host: "127.0.0.1", port: 0 });
process.stdout.write(`${JSON.stringify({ url })}\n`);
const profiler = values["profile-dir"] ? new Session() : null;
process.on("SIGUSR2", () => {
  if (!profiler) return;
  profiler.connect();
  void profiler.post("Profiler.enable").then(() => profiler.post("Profiler.start"));
});
// What the RSS is made of at its largest: sampled every 250 ms, reported on stderr at exit.
const largest = { rss: 0, heapTotal: 0, heapUsed: 0, external: 0, arrayBuffers: 0 };
setInterval(() => {
  const m = process.memoryUsage();
  for (const k of Object.keys(largest) as (keyof typeof largest)[]) largest[k] = Math.max(largest[k], m[k]);
}, 250).unref();
process.once("SIGTERM", () => {
  const mib = (x: number) => Math.round(x / 1048576);
  process.stderr.write(`${JSON.stringify({ memoryMiB: Object.fromEntries(Object.entries(largest).map(([k, v]) => [k, mib(v)])) })}\n`);
  void (async () => {
    if (profiler) {
      const { profile } = await profiler.post("Profiler.stop");
      writeFileSync(join(values["profile-dir"]!, "gateway.cpuprofile"), JSON.stringify(profile));
    }
    await app.close();
  })().finally(() => process.exit(0));
});
