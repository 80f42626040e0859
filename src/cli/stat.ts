// `meshql stat`: golden metrics of resources, or of the traffic between a
// resource and one peer (--to, --from), as `linkerd viz stat` shows them.

import { KIND_INFO, type ResourceKind } from "../domain/kinds.ts";
import { connect, type GatewayClient } from "./client.ts";
import { CliError, EXIT } from "./errors.ts";
import { tls } from "./format.ts";
import { resourceArg } from "./kinds.ts";
import { UsageError } from "./options.ts";
import { table, write, type OutputFormat } from "./output.ts";
import { scopeOf, type QueryFlags, type Scope } from "./query-flags.ts";
import {
  EDGES_ONE,
  STAT_LIST,
  STAT_ONE,
  type EdgesOneResult,
  type EdgesOneVariables,
  type StatListResult,
  type StatListVariables,
  type StatOneResult,
  type StatOneVariables,
  type StatRow,
} from "./queries.ts";
import { METRIC_HEAD, WIDE_HEAD, metricCells, statCells, statJson, traffic, trafficJson, wideCells, type Traffic } from "./rows.ts";

export interface StatFlags extends QueryFlags {
  readonly selector?: string;
  readonly to?: string;
  readonly toNamespace?: string;
  readonly from?: string;
  readonly fromNamespace?: string;
  readonly output: OutputFormat;
}

export async function stat(target: string, separateName: string | undefined, flags: StatFlags): Promise<void> {
  const { kind, name } = resourceArg(target, separateName);
  const scope = scopeOf(flags);
  if (name !== null && scope.namespace === null && KIND_INFO[kind].namespaced)
    throw new UsageError("-A lists every namespace: give -n with a name");
  if (flags.to && flags.from) throw new UsageError("--to and --from go separately");
  const namespace = KIND_INFO[kind].namespaced ? scope.namespace : null;
  const client = await connect(flags);
  const peerFlag = flags.to ?? flags.from;
  if (peerFlag) {
    const direction = flags.to ? "to" : "from";
    const peer = resourceArg(peerFlag);
    if (peer.name === null) throw new UsageError(`--${direction} needs a name, e.g. --${direction} ${peerFlag}/NAME`);
    if (peer.kind !== kind)
      throw new UsageError(
        `--${direction} must be of the same kind as the resource (${KIND_INFO[kind].plural}): meshql reports traffic between ` +
          "resources of one kind",
      );
    const peerNamespace = KIND_INFO[kind].namespaced
      ? ((flags.to ? flags.toNamespace : flags.fromNamespace) ?? scope.namespace ?? "default")
      : null;
    const rows = await between(client, scope, { kind, namespace, name }, { kind, namespace: peerNamespace, name: peer.name }, direction);
    return write(
      flags.output,
      rows.map(trafficJson),
      () => trafficTable(rows, flags.output === "wide"),
      rows.length === 0 ? `No traffic found ${direction} ${peerFlag}.` : null,
    );
  }
  const rows =
    name === null ? await list(client, scope, kind, namespace, flags.selector ?? null) : [await one(client, scope, kind, namespace, name)];
  const withNamespace = scope.namespace === null && KIND_INFO[kind].namespaced;
  const empty =
    namespace === null
      ? `No ${KIND_INFO[kind].plural} with traffic found.`
      : `No ${KIND_INFO[kind].plural} with traffic found in namespace ${namespace}.`;
  return write(
    flags.output,
    rows.map(statJson),
    () => statTable(rows, withNamespace, flags.output === "wide"),
    rows.length === 0 ? empty : null,
  );
}

async function list(
  client: GatewayClient,
  scope: Scope,
  kind: ResourceKind,
  namespace: string | null,
  labelSelector: string | null,
): Promise<StatRow[]> {
  const vars: StatListVariables = { kind, namespace, labelSelector, window: scope.window, at: scope.at };
  const data = await client.request<StatListResult>(STAT_LIST, vars);
  return [...data.resources].sort((a, b) => `${a.namespace ?? ""}/${a.name}`.localeCompare(`${b.namespace ?? ""}/${b.name}`));
}

async function one(client: GatewayClient, scope: Scope, kind: ResourceKind, namespace: string | null, name: string): Promise<StatRow> {
  const vars: StatOneVariables = { kind, namespace, name, window: scope.window, at: scope.at };
  const data = await client.request<StatOneResult>(STAT_ONE, vars);
  if (!data.resource) throw notFound(kind, namespace, name);
  return data.resource;
}

interface Target {
  readonly kind: ResourceKind;
  readonly namespace: string | null;
  readonly name: string | null;
}

/** Traffic between `self` (all of its kind when unnamed) and one peer: the peer's edges, filtered. */
async function between(
  client: GatewayClient,
  scope: Scope,
  self: Target,
  peer: Target & { name: string },
  direction: "to" | "from",
): Promise<Traffic[]> {
  // stat X --to P is P's incoming traffic from X; stat X --from P is P's outgoing traffic to X.
  const vars: EdgesOneVariables = { ...peer, window: scope.window, at: scope.at, direction: direction === "to" ? "FROM" : "TO" };
  const data = await client.request<EdgesOneResult>(EDGES_ONE, vars);
  if (!data.resource) throw notFound(peer.kind, peer.namespace, peer.name);
  return traffic(data.resource.edges).filter((t) => {
    const other = direction === "to" ? t.from : t.to;
    return (self.name === null || other.name === self.name) && (self.namespace === null || other.namespace === self.namespace);
  });
}

function notFound(kind: ResourceKind, namespace: string | null, name: string): CliError {
  const where = namespace === null ? "" : ` in namespace ${namespace}`;
  const list = `meshql stat ${KIND_INFO[kind].plural}${namespace === null ? "" : ` -n ${namespace}`}`;
  return new CliError(`no ${KIND_INFO[kind].singular} ${JSON.stringify(name)}${where}; \`${list}\` lists those with traffic`, EXIT.usage);
}

function statTable(rows: readonly StatRow[], withNamespace: boolean, wide: boolean): string {
  const head = [...(withNamespace ? ["NAMESPACE"] : []), "NAME", "MESHED", ...METRIC_HEAD, ...(wide ? WIDE_HEAD : [])];
  return table(
    head,
    rows.map((r) => [...(withNamespace ? [r.namespace ?? "-"] : []), ...statCells(r), ...(wide ? wideCells(r.metrics) : [])]),
  );
}

function trafficTable(rows: readonly Traffic[], wide: boolean): string {
  const head = ["SRC", "DST", ...METRIC_HEAD, "TLS", ...(wide ? ["SRC_NS", "DST_NS", ...WIDE_HEAD] : [])];
  return table(
    head,
    rows.map((t) => [
      t.from.name,
      t.to.name,
      ...metricCells(t.metrics),
      tls(t.mtls),
      ...(wide ? [t.from.namespace ?? "-", t.to.namespace ?? "-", ...wideCells(t.metrics)] : []),
    ]),
  );
}
