#!/usr/bin/env node
// The `meshql` command: `serve` runs the gateway, `demo` runs everything on loopback.

import "reflect-metadata";
import { parseServeOptions, serveHelp, UsageError } from "./cli/options.ts";
import { createGateway } from "./server/gateway.ts";
import { createLogger } from "./server/log.ts";

const USAGE = `meshql: one API for the golden metrics of a service mesh (GraphQL and SMI Traffic Metrics)

Usage:
  meshql serve [options]   serve /graphql, /apis/metrics.smi-spec.io, /healthz, /readyz and /metrics
  meshql demo [--mesh M]   start Prometheus, a traffic generator and the gateway on loopback
  meshql --help            this text

serve options (flag, then environment variable, then default):
${serveHelp()}
`;

async function serve(argv: string[]): Promise<void> {
  const options = parseServeOptions(argv, process.env);
  // Anonymous only where nobody could be asked who is calling: no cluster, no front proxy.
  const logger = createLogger(options.log);
  const gateway = await createGateway({ ...options, kube: { ...options.kube, allowAnonymous: "without-cluster" }, logger });
  const address = await gateway.app.listen({ host: options.host, port: options.port });
  logger.info(`serving on ${address} (GraphQL at ${address}/graphql, SMI at ${address}/apis/metrics.smi-spec.io/v1alpha1)`);
  const stop = (): void => void gateway.close().then(() => process.exit(0));
  process.once("SIGINT", stop);
  process.once("SIGTERM", stop);
}

async function main(argv: string[]): Promise<void> {
  const [command, ...rest] = argv;
  if (command === undefined || command === "--help" || command === "-h" || command === "help" || rest.includes("--help") || rest.includes("-h")) {
    process.stdout.write(USAGE);
    if (command === undefined) process.exitCode = 2;
    return;
  }
  if (command === "serve") return serve(rest);
  if (command === "demo") {
    const { runDemo } = await import("./demo/demo.ts");
    return runDemo(rest);
  }
  throw new UsageError(`unknown command ${JSON.stringify(command)} (commands: serve, demo)`);
}

main(process.argv.slice(2)).catch((e: unknown) => {
  if (e instanceof UsageError) {
    console.error(`meshql: ${e.message} (see meshql --help)`);
    process.exit(2);
  }
  console.error(`meshql: ${e instanceof Error ? e.message : String(e)}`);
  process.exit(1);
});
