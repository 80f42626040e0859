// What one NamespaceOverview document allocates in the gateway, by function:
// V8's sampling heap profiler, keeping the samples of objects the GC has
// already collected, over N documents after one warm-up, in this process
// (tsx, so the test gateway's modules; the scale Prometheus of bench/support).
//
//   node --import tsx bench/allocations.ts [--size 1000] [--documents 3] [--top 20]
//
// Sampled bytes, not exact ones: figures move by about 1 MiB between runs.

import { Session } from "node:inspector/promises";
import { parseArgs } from "node:util";
import { print } from "graphql";
import { SCALE_NAMESPACE } from "../test/fixtures/topology.ts";
import { NamespaceOverviewDocument } from "../test/generated/graphql.ts";
import { testGateway } from "../test/support/gateway.ts";
import { startScalePrometheus } from "./support/scale-prometheus.ts";

const { values } = parseArgs({
  options: {
    size: { type: "string", default: "1000" },
    documents: { type: "string", default: "3" },
    top: { type: "string", default: "20" },
  },
});
const n = Number(values.size);
const documents = Number(values.documents);

interface SamplingNode {
  readonly callFrame: { readonly functionName: string; readonly url: string; readonly lineNumber: number };
  readonly selfSize: number;
  readonly children: readonly SamplingNode[];
}

const prometheus = await startScalePrometheus(n);
const gateway = await testGateway(prometheus.url, "linkerd", { queryTimeoutMs: 600_000 });
try {
  const overview = () =>
    gateway.app.inject({
      method: "POST",
      url: "/graphql",
      payload: { query: print(NamespaceOverviewDocument), variables: { namespace: SCALE_NAMESPACE, window: "1m" } },
    });
  await overview();
  const session = new Session();
  session.connect();
  await session.post("HeapProfiler.startSampling", {
    samplingInterval: 4096,
    includeObjectsCollectedByMajorGC: true,
    includeObjectsCollectedByMinorGC: true,
  });
  for (let i = 0; i < documents; i++) await overview();
  const { profile } = (await session.post("HeapProfiler.stopSampling")) as unknown as { profile: { head: SamplingNode } };
  session.disconnect();

  const self = new Map<string, number>();
  let total = 0;
  const walk = (node: SamplingNode): void => {
    const { functionName, url, lineNumber } = node.callFrame;
    const where = `${functionName || "(anonymous)"} ${url.replace(/^.*\/(src|node_modules)\//, "$1/")}${url ? `:${lineNumber + 1}` : ""}`;
    self.set(where, (self.get(where) ?? 0) + node.selfSize);
    total += node.selfSize;
    for (const child of node.children) walk(child);
  };
  walk(profile.head);
  const mib = (bytes: number) => `${(bytes / documents / 1048576).toFixed(1)} MiB`;
  console.log(`## Allocated per NamespaceOverview document at ${n} Deployments: ${mib(total)} (sampled, ${documents} documents)`);
  console.log();
  console.log("| function | allocated per document |");
  console.log("|---|---:|");
  for (const [where, bytes] of [...self].sort((a, b) => b[1] - a[1]).slice(0, Number(values.top)))
    console.log(`| ${where} | ${mib(bytes)} |`);
} finally {
  await gateway.app.close();
  await prometheus.stop();
}
