// Starts a gateway over a harness Prometheus, with the clock at the fixture's
// evaluation time, and runs typed GraphQL operations against it.

import type { TypedDocumentNode } from "@graphql-typed-document-node/core";
import { type GraphQLFormattedError, print } from "graphql";
import { windowOfSeconds } from "../../src/domain/window.ts";
import type { MeshName } from "../../src/mesh/adapter.ts";
import { createGateway, type Gateway, type GatewayConfig } from "../../src/server/gateway.ts";
import { STEP, T0_DATE } from "../fixtures/topology.ts";

export function testGateway(prometheusUrl: string, mesh: MeshName, overrides: Partial<GatewayConfig> = {}): Promise<Gateway> {
  return createGateway({
    mesh,
    prometheusUrl,
    defaultWindow: windowOfSeconds(30),
    scrapeInterval: windowOfSeconds(STEP),
    seenLookback: windowOfSeconds(3600),
    queryTimeoutMs: 5000,
    cacheTtlMs: 0,
    clock: () => T0_DATE,
    processMetrics: false,
    ...overrides,
  });
}

export interface GraphQLResult<T> {
  readonly status: number;
  readonly data: T | null;
  readonly errors: readonly GraphQLFormattedError[];
}

export async function execute<T, V>(gateway: Gateway, document: TypedDocumentNode<T, V>, variables: V): Promise<GraphQLResult<T>> {
  const response = await gateway.app.inject({
    method: "POST",
    url: "/graphql",
    headers: { "content-type": "application/json" },
    payload: { query: print(document), variables },
  });
  const body = response.json() as { data?: T | null; errors?: GraphQLFormattedError[] };
  return { status: response.statusCode, data: body.data ?? null, errors: body.errors ?? [] };
}

/** The data of a result that must have no errors. */
export async function data<T, V>(gateway: Gateway, document: TypedDocumentNode<T, V>, variables: V): Promise<T> {
  const result = await execute(gateway, document, variables);
  if (result.errors.length > 0 || result.data === null) {
    throw new Error(`GraphQL errors: ${JSON.stringify(result.errors)}`);
  }
  return result.data;
}

/** Equal within a relative tolerance, for floats that went through Prometheus. */
export function close(actual: number | null | undefined, expected: number, relative = 1e-9): boolean {
  if (actual == null) return false;
  return Math.abs(actual - expected) <= relative * Math.max(1, Math.abs(expected));
}
