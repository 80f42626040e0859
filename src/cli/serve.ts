// `meshql serve`: the gateway on --listen until SIGINT or SIGTERM.

import "reflect-metadata";
import { createGateway } from "../server/gateway.ts";
import { createLogger } from "../server/log.ts";
import { parseServeOptions, type FlagValues } from "./options.ts";

export async function serve(values: FlagValues): Promise<void> {
  const options = parseServeOptions(values, process.env);
  // Anonymous only where nobody could be asked who is calling: no cluster, no front proxy.
  const logger = createLogger(options.log);
  const gateway = await createGateway({ ...options, kube: { ...options.kube, allowAnonymous: "without-cluster" }, logger });
  const address = await gateway.app.listen({ host: options.host, port: options.port });
  logger.info(`serving on ${address} (GraphQL at ${address}/graphql, SMI at ${address}/apis/metrics.smi-spec.io/v1alpha1)`);
  const stop = (): void => void gateway.close().then(() => process.exit(0));
  process.once("SIGINT", stop);
  process.once("SIGTERM", stop);
}
