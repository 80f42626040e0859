// Linkerd as a mesh spec: golden metrics from the proxies' response_total and
// response_latency_ms series, TCP from their transport metrics. Resource
// stats use the server's (inbound) view; edges use the client's (outbound)
// view, which names both ends. The labels name each kind directly (labels.ts).

import type { InstantQuerier } from "../../prometheus/client.ts";
import { by, eq, type Matcher, neq, selector } from "../../prometheus/promql.ts";
import { SpecAdapter } from "../engine.ts";
import { promRange } from "../../domain/window.ts";
import { directEnd, groupLabels, refFromLabels, refMatchers } from "../refs.ts";
import { type MeshSpec, series } from "../spec.ts";
import { dstLabels, selfLabels } from "./labels.ts";

const RESPONSES = "response_total";
const LATENCY_BUCKETS = "response_latency_ms_bucket";

const inbound = eq("direction", "inbound");
const outbound = eq("direction", "outbound");
// `linkerd viz stat`: a resource's TCP is its inbound connections from clients (peer="src");
// an edge's is the client's outbound connection to the server (peer="dst").
const fromClients = [inbound, eq("peer", "src")];
const toServers = [outbound, eq("peer", "dst")];

/** Linkerd's tls label is "true" for mTLS; anything else is plaintext. Mixed traffic is not mTLS. */
function mtlsOf(values: ReadonlySet<string>): boolean | null {
  if (values.size === 0 || values.has("")) return null;
  return [...values].every((v) => v === "true");
}

/** TCP of one view: `read` and `write` name the counters of what the server read and wrote. */
function tcpRows(filters: readonly Matcher[], read: string, write: string) {
  return {
    open: series("tcp_open_connections", ...filters),
    read: series(read, ...filters),
    write: series(write, ...filters),
    opened: series("tcp_open_total", ...filters),
    closed: series("tcp_close_total", ...filters),
  };
}

export const LINKERD_SPEC: MeshSpec<unknown> = {
  mesh: "linkerd",
  /** Linkerd classifies: failure is a 5xx or a gRPC error; a 4xx is a success. */
  success: { labels: ["classification"], isSuccess: (labels) => labels.classification !== "failure" },
  mtls: { from: "counts", label: "tls", decide: mtlsOf },
  resource: {
    ends: [directEnd(selfLabels)],
    needsDirectory: () => false,
    rows: {
      golden: { counts: series(RESPONSES, inbound), latency: series(LATENCY_BUCKETS, inbound) },
      tcp: tcpRows(fromClients, "tcp_read_bytes_total", "tcp_write_bytes_total"),
    },
  },
  edge: {
    ends: [directEnd(selfLabels), directEnd(dstLabels)],
    needsDirectory: () => false,
    rows: {
      golden: { counts: series(RESPONSES, outbound), latency: series(LATENCY_BUCKETS, outbound) },
      // The client's proxy writes what the server reads, and reads what it writes.
      tcp: tcpRows(toServers, "tcp_write_bytes_total", "tcp_read_bytes_total"),
    },
  },
  seen: {
    query(kind, period, namespace, only) {
      const labels = selfLabels(kind);
      const matchers: Matcher[] = labels.composed ? [] : [neq(labels.name, "")];
      // Asking about a few resources reads their series only, not the namespace's (the existence check of one resource).
      if (only && only.length > 0) matchers.push(...refMatchers(kind, only, labels));
      else if (namespace !== null) matchers.push(eq("namespace", namespace));
      return `group ${by(groupLabels(kind, labels))} (present_over_time(${selector(RESPONSES, matchers)}[${promRange(period)}]))`;
    },
    refs: (kind, samples) => samples.flatMap((s) => refFromLabels(kind, s.labels, selfLabels(kind)) ?? []),
  },
  detect: series(RESPONSES, inbound),
};

export class LinkerdAdapter extends SpecAdapter<unknown> {
  constructor(backend: InstantQuerier) {
    super(LINKERD_SPEC, backend);
  }
}
