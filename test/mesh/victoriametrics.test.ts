// Why Istio needs -maxLabelsPerTimeseries raised on VictoriaMetrics. Istio's
// series carry more than 30 labels; VictoriaMetrics keeps the first 30 by
// default and drops the rest at ingestion (response_code, le,
// connection_security_policy among them), so series that differed only in a
// dropped label merge into one and their counters interleave: increase() sees
// a reset at nearly every sample and the counts explode. The same history is
// imported into two single-node VictoriaMetrics: the default, and the limit
// the test harness (and docs/backends.md) uses; `meshql check` names the
// labels the default dropped. Runs with
// MESHQL_TEST_BACKEND=victoriametrics (npm run test:victoriametrics).

import assert from "node:assert/strict";
import { mkdir, mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { type PrometheusServer, startVictoriaMetricsServer, VICTORIA_MAX_LABELS } from "../../src/demo/prometheus.ts";
import { missingLabels } from "../../src/mesh/inspect.ts";
import { IstioAdapter } from "../../src/mesh/istio/spec.ts";
import { PrometheusClient } from "../../src/prometheus/client.ts";
import { istio } from "../../src/demo/traffic/istio.ts";
import { writeOpenMetrics } from "../../src/demo/traffic/openmetrics.ts";
import { expectedInbound } from "../fixtures/expected.ts";
import { DATA, ref, STEP, T0, topologyModel } from "../fixtures/topology.ts";
import { TEST_BACKEND } from "../harness/prometheus.ts";
import { importOpenMetrics } from "../harness/tsdb.ts";

const model = topologyModel();
const DEFAULT_LIMIT = 30;
const WINDOW = 60;
const NAMESPACE = ref("NAMESPACE", null, DATA);

describe("VictoriaMetrics keeps Istio's labels only with -maxLabelsPerTimeseries raised", {
  skip: TEST_BACKEND !== "victoriametrics" && "MESHQL_TEST_BACKEND is not victoriametrics",
}, () => {
  let home: string;
  const servers = new Map<number, PrometheusServer>();

  before(async () => {
    home = await mkdtemp(join(tmpdir(), "meshql-vm-labels-"));
    const history = join(home, "istio.om");
    await writeOpenMetrics(history, model, [istio], { start: T0 - WINDOW - STEP, end: T0, step: STEP });
    for (const limit of [DEFAULT_LIMIT, VICTORIA_MAX_LABELS]) {
      const own = join(home, `${limit}`);
      await mkdir(own);
      const server = await startVictoriaMetricsServer({ home: own, dataDir: join(own, "data"), maxLabelsPerTimeseries: limit });
      servers.set(limit, server);
      await importOpenMetrics(server.url, history);
      assert.equal((await fetch(`${server.url}/internal/force_flush`)).status, 200);
    }
  });

  after(async () => {
    await Promise.all([...servers.values()].map((s) => s.stop()));
    if (home) await rm(home, { recursive: true, force: true });
  });

  const query = async (limit: number, promql: string): Promise<number> =>
    (await new PrometheusClient({ baseUrl: servers.get(limit)!.url }).query(promql, new Date(T0 * 1000)))[0]?.value ?? Number.NaN;
  const stats = (limit: number) =>
    new IstioAdapter(new PrometheusClient({ baseUrl: servers.get(limit)!.url })).resourceStats({
      kind: "NAMESPACE",
      refs: [NAMESPACE],
      window: { seconds: WINDOW },
      at: new Date(T0 * 1000),
    });

  it("Istio's request series have more labels than the default keeps", async () => {
    const [one] = await new PrometheusClient({ baseUrl: servers.get(VICTORIA_MAX_LABELS)!.url }).query(
      'topk(1, istio_requests_total{reporter="destination"})',
      new Date(T0 * 1000),
    );
    assert.ok(one, "an Istio series");
    // The answer leaves out __name__, the 31st.
    assert.ok(Object.keys(one.labels).length >= DEFAULT_LIMIT, `${Object.keys(one.labels).length} labels besides __name__`);
  });

  it("at the default limit, response_code and le are gone and the counts are wrong", async () => {
    assert.equal(await query(DEFAULT_LIMIT, 'count(istio_requests_total{reporter="destination",response_code!=""})'), Number.NaN);
    assert.equal(
      await query(DEFAULT_LIMIT, 'count(istio_request_duration_milliseconds_bucket{reporter="destination",le!=""})'),
      Number.NaN,
    );
    const wrong = (await stats(DEFAULT_LIMIT)).get("NAMESPACE//data")?.golden;
    const want = expectedInbound(model, NAMESPACE, T0 - WINDOW, T0);
    assert.ok(wrong, "stats for data");
    assert.equal(wrong.failure, 0, "no 5xx without response_code");
    assert.ok(wrong.success > 1000 * want.total, `success ${wrong.success}: interleaved counters read as resets`);
    assert.equal(wrong.latency.p50, null, "no buckets without le");
  });

  it("meshql check's label findings name what the default limit dropped", async () => {
    const client = (limit: number) => new PrometheusClient({ baseUrl: servers.get(limit)!.url });
    const missing = await missingLabels(client(DEFAULT_LIMIT), "istio", { seconds: 600 }, new Date(T0 * 1000));
    const of = (metric: string) => missing.find((m) => m.metric === metric)?.labels;
    assert.ok(of("istio_requests_total")?.includes("response_code"), JSON.stringify(missing));
    assert.ok(of("istio_request_duration_milliseconds_bucket")?.includes("le"), JSON.stringify(missing));
    assert.deepEqual(await missingLabels(client(VICTORIA_MAX_LABELS), "istio", { seconds: 600 }, new Date(T0 * 1000)), []);
  });

  it(`at -maxLabelsPerTimeseries=${VICTORIA_MAX_LABELS}, the counts are the model's`, async () => {
    const got = (await stats(VICTORIA_MAX_LABELS)).get("NAMESPACE//data")?.golden;
    const want = expectedInbound(model, NAMESPACE, T0 - WINDOW, T0);
    assert.ok(got, "stats for data");
    assert.deepEqual({ success: got.success, failure: got.failure }, { success: want.success, failure: want.failure });
    assert.notEqual(got.latency.p50, null);
  });
});
