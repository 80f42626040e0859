// The PromQL each adapter sends for one NamespaceOverview document (from the real
// Prometheus query log), and the query count at 3 and at 300 Deployments.
import { consul } from "../src/demo/traffic/consul.ts";
import { istio } from "../src/demo/traffic/istio.ts";
import { linkerd } from "../src/demo/traffic/linkerd.ts";
import { buildModel } from "../src/demo/traffic/model.ts";
import { SCALE_HISTORY, scaleTopology } from "../test/fixtures/topology.ts";
import { NamespaceOverviewDocument } from "../test/generated/graphql.ts";
import { startPrometheus } from "../test/harness/prometheus.ts";
import { data, testGateway } from "../test/support/gateway.ts";
const formats = { linkerd, istio, consul } as const;
for (const mesh of ["linkerd", "istio", "consul"] as const) {
  for (const n of [3, 300]) {
    const p = await startPrometheus({ model: buildModel(scaleTopology(n)), formats: [formats[mesh]], ...SCALE_HISTORY });
    const gw = await testGateway(p.url, mesh, { queryTimeoutMs: 60000 });
    p.resetQueries();
    const d = await data(gw, NamespaceOverviewDocument, { namespace: "scale", window: "1m" });
    const q = p.queries();
    console.log(
      `## ${mesh} n=${n}: ${q.length} queries, ${d.resources.length} resources, ` +
        `${d.resources.reduce((a, r) => a + (r.edges?.length ?? 0), 0)} edges`,
    );
    if (n === 3) for (const x of q) console.log(`    ${x}`);
    await gw.close();
    await p.stop();
  }
}
