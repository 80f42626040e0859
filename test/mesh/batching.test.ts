// The batching proof against a real Prometheus: the same batch questions for
// 3 and for 300 Deployments send the same number of queries (counted in the
// server's query log), and the 300-Deployment answers are exact. Folding the
// answers names a sample's resources once per series group, not per sample.

import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { refKey } from "../../src/domain/resource.ts";
import type { MeshAdapter } from "../../src/mesh/adapter.ts";
import { ConsulAdapter, CONSUL_SPEC } from "../../src/mesh/consul/spec.ts";
import { SpecAdapter } from "../../src/mesh/engine.ts";
import { IstioAdapter, ISTIO_SPEC } from "../../src/mesh/istio/spec.ts";
import type { MeshSpec, SeriesEnd } from "../../src/mesh/spec.ts";
import { PrometheusClient } from "../../src/prometheus/client.ts";
import { consulFormat } from "../../src/demo/traffic/consul.ts";
import { expectedEdges, expectedInbound } from "../fixtures/expected.ts";
import { istioFormat } from "../../src/demo/traffic/istio.ts";
import { buildModel, resourcesOf, type TrafficModel } from "../../src/demo/traffic/model.ts";
import { startPrometheus, type PrometheusInstance } from "../harness/prometheus.ts";
import { SCALE_HISTORY, SCALE_NAMESPACE, T0, scaleTopology } from "../fixtures/topology.ts";

const SIZES = [3, 300] as const;
// Both formats in one backfill: their traffic families have distinct names.
const FORMATS = [istioFormat({ trafficOnly: true }), consulFormat({ trafficOnly: true })];
const instances = new Map<number, { model: TrafficModel; prom: PrometheusInstance; client: PrometheusClient }>();

before(async () => {
  for (const n of SIZES) {
    const model = buildModel(scaleTopology(n));
    const prom = await startPrometheus({ model, formats: FORMATS, ...SCALE_HISTORY });
    instances.set(n, { model, prom, client: new PrometheusClient({ baseUrl: prom.url }) });
  }
});
after(async () => {
  await Promise.all([...instances.values()].map((i) => i.prom.stop()));
});

const MESHES: Array<[string, (c: PrometheusClient) => MeshAdapter]> = [
  ["istio", (c) => new IstioAdapter(c)],
  ["consul", (c) => new ConsulAdapter(c)],
];

/** Runs one batch of questions and returns the PromQL that reached Prometheus. */
async function ask(n: number, make: (c: PrometheusClient) => MeshAdapter): Promise<{ queries: string[]; exact: boolean }> {
  const { model, prom, client } = instances.get(n)!;
  const adapter = make(client);
  const refs = resourcesOf(model, "DEPLOYMENT", SCALE_NAMESPACE);
  assert.equal(refs.length, n);
  const at = new Date(T0 * 1000);
  const window = { seconds: 60 };
  prom.resetQueries();
  const [stats, edges] = await Promise.all([
    adapter.resourceStats({ kind: "DEPLOYMENT", refs, window, at }),
    adapter.edges({ kind: "DEPLOYMENT", refs, window, at }),
  ]);
  const queries = prom.queries();
  let exact = true;
  for (const r of refs) {
    const e = expectedInbound(model, r, T0 - 60, T0);
    const s = stats.get(refKey(r));
    if (!s?.golden || s.golden.success !== e.success || s.golden.failure !== e.failure) exact = false;
    const want = expectedEdges(model, r, "DEPLOYMENT", T0 - 60, T0);
    const mine = edges.filter((x) => refKey(x.resource) === refKey(r));
    if (mine.length !== want.length) exact = false;
    for (const w of want) {
      const g = mine.find((x) => x.direction === w.direction && refKey(x.peer) === refKey(w.peer));
      if (!g?.stats.golden || g.stats.golden.success !== w.counts.success || g.stats.golden.failure !== w.counts.failure) exact = false;
    }
  }
  return { queries, exact };
}

describe("batching against a real Prometheus", () => {
  for (const [mesh, make] of MESHES) {
    it(`${mesh}: resourceStats + edges for 3 and 300 Deployments send the same queries`, async () => {
      const small = await ask(3, make);
      const large = await ask(300, make);
      console.log(`# ${mesh}: ${small.queries.length} queries at 3 deployments, ${large.queries.length} at 300`);
      // The 3-Deployment batch's PromQL, for the record (the 300 one differs only in its name lists).
      if (process.env.MESHQL_SHOW_QUERIES) for (const q of small.queries) console.log(`# ${mesh} query: ${q}`);
      assert.ok(small.exact && large.exact, "answers equal the model's");
      assert.ok(small.queries.length > 0);
      assert.equal(large.queries.length, small.queries.length);
    });
  }
});

/** A spec whose ends count their refOf calls, read through a client that counts the samples it returns. */
function counted<D>(spec: MeshSpec<D>, client: PrometheusClient, tally: { refOf: number; samples: number }): MeshAdapter {
  const count = (end: SeriesEnd<D>): SeriesEnd<D> => ({
    ...end,
    refOf: (kind, labels, directory) => {
      tally.refOf++;
      return end.refOf(kind, labels, directory);
    },
  });
  const [server] = spec.resource.ends;
  const [src, dst] = spec.edge.ends;
  const spied: MeshSpec<D> = {
    ...spec,
    resource: { ...spec.resource, ends: [count(server)] },
    edge: { ...spec.edge, ends: [count(src), count(dst)] },
  };
  return new SpecAdapter(spied, {
    query: async (promql, at) => {
      const samples = await client.query(promql, at);
      tally.samples += samples.length;
      return samples;
    },
  });
}

describe("folding names resources once per series group", () => {
  const SPECS: Array<[string, (c: PrometheusClient, tally: { refOf: number; samples: number }) => MeshAdapter]> = [
    ["istio", (c, tally) => counted(ISTIO_SPEC, c, tally)],
    ["consul", (c, tally) => counted(CONSUL_SPEC, c, tally)],
  ];
  for (const [mesh, make] of SPECS) {
    it(`${mesh}: at 300 Deployments, refOf runs for a fraction of the samples and the answers stay exact`, async () => {
      const tally = { refOf: 0, samples: 0 };
      const { exact } = await ask(300, (c) => make(c, tally));
      console.log(`# ${mesh}: ${tally.refOf} refOf calls for ${tally.samples} samples`);
      assert.ok(exact, "answers equal the model's");
      assert.ok(tally.samples > 0 && tally.refOf > 0);
      // Per sample it would be at least one call per sample (two for an edge's): a bucket series group has a dozen.
      assert.ok(tally.refOf * 4 <= tally.samples, `${tally.refOf} refOf calls for ${tally.samples} samples`);
    });
  }
});
