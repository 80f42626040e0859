// `meshql edges`: who calls whom among resources of a kind, with mTLS, as
// `linkerd viz edges` shows it.

import { KIND_INFO } from "../domain/kinds.ts";
import { connect } from "./client.ts";
import { CliError, EXIT } from "./errors.ts";
import { resourceArg } from "./kinds.ts";
import { scopeOf, type QueryFlags } from "./query-flags.ts";
import {
  EDGES_LIST,
  EDGES_ONE,
  type EdgeRow,
  type EdgesListResult,
  type EdgesListVariables,
  type EdgesOneResult,
  type EdgesOneVariables,
} from "./queries.ts";
import { TRAFFIC_HEAD, WIDE_HEAD, traffic, trafficCells, trafficJson, wideCells } from "./rows.ts";
import { table, write, type OutputFormat } from "./output.ts";

export interface EdgesFlags extends QueryFlags {
  readonly output: OutputFormat;
}

export async function edges(target: string, separateName: string | undefined, flags: EdgesFlags): Promise<void> {
  const { kind, name } = resourceArg(target, separateName);
  const scope = scopeOf(flags);
  const namespace = KIND_INFO[kind].namespaced ? scope.namespace : null;
  const client = await connect(flags);
  let rows: EdgeRow[];
  if (name === null) {
    const vars: EdgesListVariables = { kind, namespace, window: scope.window, at: scope.at };
    rows = (await client.request<EdgesListResult>(EDGES_LIST, vars)).resources.flatMap((r) => r.edges);
  } else {
    const vars: EdgesOneVariables = { kind, namespace, name, window: scope.window, at: scope.at, direction: null };
    const data = await client.request<EdgesOneResult>(EDGES_ONE, vars);
    if (!data.resource)
      throw new CliError(
        `no ${KIND_INFO[kind].singular} ${JSON.stringify(name)}${namespace ? ` in namespace ${namespace}` : ""}`,
        EXIT.usage,
      );
    rows = [...data.resource.edges];
  }
  const pairs = traffic(rows);
  const wide = flags.output === "wide";
  const render = (): string =>
    table(
      [...TRAFFIC_HEAD, ...(wide ? WIDE_HEAD : [])],
      pairs.map((t) => [...trafficCells(t), ...(wide ? wideCells(t.metrics) : [])]),
    );
  await write(
    flags.output,
    pairs.map(trafficJson),
    render,
    pairs.length === 0 ? `No edges found${namespace ? ` in namespace ${namespace}` : ""}.` : null,
  );
}
