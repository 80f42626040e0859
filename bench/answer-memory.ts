// What one NamespaceOverview document's Prometheus answers hold in memory and
// cost to decode: per query of the document at n Deployments, the answer's
// text, the heap JSON.parse's object graph retains, and what the compact
// decoder (src/prometheus/decode.ts) retains, with their decoding times.
//
//   node --expose-gc --import tsx bench/answer-memory.ts [--size 1000] [--runs 3]
//
// Retained heap is heapUsed after a full GC with the result held, minus before.

import { parseArgs } from "node:util";
import { print } from "graphql";
import { decodeVector } from "../src/prometheus/decode.ts";
import { SCALE_NAMESPACE, T0 } from "../test/fixtures/topology.ts";
import { NamespaceOverviewDocument } from "../test/generated/graphql.ts";
import { testGateway } from "../test/support/gateway.ts";
import { startScalePrometheus } from "./support/scale-prometheus.ts";
import { row } from "./support/markdown.ts";

const { values } = parseArgs({ options: { size: { type: "string", default: "1000" }, runs: { type: "string", default: "3" } } });
const gc = (globalThis as { gc?: () => void }).gc;
if (!gc) throw new Error("run with node --expose-gc");
const n = Number(values.size);
const runs = Number(values.runs);
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[xs.length >> 1]!;
const mib = (b: number) => `${(b / 1048576).toFixed(1)} MiB`;

function retained(make: () => unknown): { bytes: number; ms: number } {
  const bytes: number[] = [];
  const times: number[] = [];
  for (let i = 0; i < runs; i++) {
    gc!();
    const before = process.memoryUsage().heapUsed;
    const started = performance.now();
    let held: unknown = make();
    times.push(performance.now() - started);
    gc!();
    bytes.push(process.memoryUsage().heapUsed - before);
    held = null;
    void held;
  }
  return { bytes: median(bytes), ms: median(times) };
}

const prometheus = await startScalePrometheus(n);
try {
  const gateway = await testGateway(prometheus.url, "linkerd", { queryTimeoutMs: 600_000 });
  prometheus.resetQueries();
  const answer = await gateway.app.inject({
    method: "POST",
    url: "/graphql",
    payload: { query: print(NamespaceOverviewDocument), variables: { namespace: SCALE_NAMESPACE, window: "1m" } },
  });
  await gateway.app.close();
  const queries = prometheus.queries();
  console.log(
    `## Answers of the NamespaceOverview document at ${n} Deployments (GraphQL answer ${mib(answer.payload.length)}; median of ${runs})`,
  );
  console.log();
  console.log("| query | samples | answer text | JSON.parse: retained | JSON.parse: time | compact: retained | compact: time |");
  console.log("|---|---:|---:|---:|---:|---:|---:|");
  for (const query of queries) {
    const r = await fetch(`${prometheus.url}/api/v1/query`, {
      method: "POST",
      headers: { "content-type": "application/x-www-form-urlencoded" },
      body: new URLSearchParams({ query, time: T0.toFixed(3), timeout: "600s" }),
    });
    const text = await r.text();
    const parsed = retained(() => JSON.parse(text));
    const compact = retained(() => decodeVector(text));
    const samples = decodeVector(text)?.length ?? Number.NaN;
    const shown = query.length > 60 ? `${query.slice(0, 57)}...` : query;
    console.log(
      row(
        `\`${shown.replace(/\|/g, "\\|")}\``,
        samples,
        mib(text.length),
        mib(parsed.bytes),
        `${parsed.ms.toFixed(0)} ms`,
        mib(compact.bytes),
        `${compact.ms.toFixed(0)} ms`,
      ),
    );
  }
} finally {
  await prometheus.stop();
}
