// The compact vector decoder against JSON.parse: on real Prometheus answers it
// gives the same samples, and every answer it does not recognize exactly is
// declined (null), so that the general path keeps answering those.

import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { parseQueryResponse } from "../../src/prometheus/client.ts";
import { decodeVector } from "../../src/prometheus/decode.ts";
import { T0 } from "../fixtures/topology.ts";
import { startPrometheus, type PrometheusInstance } from "../harness/prometheus.ts";

let prometheus: PrometheusInstance;
before(async () => {
  prometheus = await startPrometheus({});
});
after(async () => {
  await prometheus?.stop();
});

async function answerText(query: string): Promise<string> {
  const r = await fetch(`${prometheus.url}/api/v1/query`, {
    method: "POST",
    headers: { "content-type": "application/x-www-form-urlencoded" },
    body: new URLSearchParams({ query, time: T0.toFixed(3) }),
  });
  assert.equal(r.status, 200);
  return r.text();
}

/** What JSON.parse makes of a vector answer, value strings converted as Prometheus writes them. */
function general(text: string): Array<{ labels: Record<string, string>; value: number }> {
  const body = JSON.parse(text) as { data: { result: Array<{ metric: Record<string, string>; value: [number, string] }> } };
  const number = (v: string) => (v === "+Inf" ? Infinity : v === "-Inf" ? -Infinity : Number(v));
  return body.data.result.map((r) => ({ labels: r.metric, value: number(r.value[1]) }));
}

describe("decodeVector", () => {
  for (const query of [
    'sum by (le, namespace, deployment) (rate(response_latency_ms_bucket{direction="inbound"}[1m]))',
    "sum by (namespace, deployment, dst_namespace, dst_deployment, classification, status_code) (increase(response_total[1m]))",
    "response_total",
    "vector(1) / 0",
    "-vector(1) / 0",
    "vector(0) / 0",
    "absent(nothing_here)",
    "nothing_here",
  ]) {
    it(`decodes ${query} as JSON.parse does`, async () => {
      const text = await answerText(query);
      const decoded = decodeVector(text);
      assert.ok(decoded, "a Prometheus vector answer is decoded, not declined");
      assert.deepEqual(decoded, general(text));
      assert.deepEqual(parseQueryResponse(200, text), decoded);
    });
  }

  it("declines what it does not recognize exactly, and the general path still answers it", async () => {
    const scalar = await answerText("scalar(vector(3))");
    assert.equal(decodeVector(scalar), null);
    assert.deepEqual(parseQueryResponse(200, scalar), [{ labels: {}, value: 3 }]);

    const escaped = '{"status":"success","data":{"resultType":"vector","result":[{"metric":{"a":"x\\"y"},"value":[1,"2"]}]}}';
    assert.equal(decodeVector(escaped), null);
    assert.deepEqual(parseQueryResponse(200, escaped), [{ labels: { a: 'x"y' }, value: 2 }]);

    const proto = '{"status":"success","data":{"resultType":"vector","result":[{"metric":{"__proto__":"x"},"value":[1,"2"]}]}}';
    assert.equal(decodeVector(proto), null);
    assert.equal(Object.hasOwn(parseQueryResponse(200, proto)[0]!.labels, "__proto__"), true);

    const spaced = '{"status":"success", "data":{"resultType":"vector","result":[]}}';
    assert.equal(decodeVector(spaced), null);
    assert.deepEqual(parseQueryResponse(200, spaced), []);

    for (const broken of [
      '{"status":"success","data":{"resultType":"vector","result":[{"metric":{},"value":[1,"abc"]}]}}',
      '{"status":"success","data":{"resultType":"vector","result":[{"metric":{},"value":[1,"2"]}]}',
      '{"status":"success","data":{"resultType":"vector","result":[{"metric":{},"value":[x,"2"]}]}}',
      '{"status":"success","data":{"resultType":"vector","result":[{"metric":{},"histogram":[1,{}]}]}}',
    ]) {
      assert.equal(decodeVector(broken), null, broken);
      assert.throws(() => parseQueryResponse(200, broken), { name: "BackendError" }, broken);
    }
  });

  it("reads the envelope's other members: warnings after the data, VictoriaMetrics' isPartial and stats", () => {
    const sample = '{"metric":{"job":"a"},"value":[1.5,"+Inf"]}';
    const expected = [{ labels: { job: "a" }, value: Infinity }];
    assert.deepEqual(decodeVector(`{"status":"success","data":{"resultType":"vector","result":[${sample}]},"warnings":["w"]}`), expected);
    assert.deepEqual(
      decodeVector(
        `{"status":"success","isPartial":false,"data":{"resultType":"vector","result":[${sample}]},"stats":{"seriesFetched":"1"}}`,
      ),
      expected,
    );
    assert.equal(decodeVector(`{"status":"success","data":{"resultType":"vector","result":[${sample}]},"warnings":[}`), null);
  });
});
