import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { goldenMetrics, NO_LATENCY } from "../../src/domain/metrics.ts";
import { goJson, kubeTime } from "../../src/smi/json.ts";
import { edgeList, edgeTrafficMetrics, resourceList, resourceTrafficMetrics, smiMetrics } from "../../src/smi/shape.ts";

const at = new Date("2026-11-01T12:00:00.750Z");
const now = new Date("2026-11-01T12:00:05Z");
const dep = { kind: "DEPLOYMENT", namespace: "shop", name: "frontend" } as const;
const ns = { kind: "NAMESPACE", namespace: null, name: "shop" } as const;
const busy = goldenMetrics(
  { success: 294, failure: 6, latency: { p50: 0.009, p90: 73.492, p95: 120, p99: 296.875 } },
  { seconds: 300 },
  at,
);
const idle = goldenMetrics({ success: 0, failure: 0, latency: { p50: 1, p90: 2, p95: 3, p99: 4 } }, { seconds: 30 }, at);

describe("SMI shapes", () => {
  it("a resource's TrafficMetrics: exact bytes, field order of the Go structs", () => {
    const json = goJson(resourceTrafficMetrics(dep, busy, now));
    assert.equal(
      json,
      '{"kind":"TrafficMetrics","apiVersion":"metrics.smi-spec.io/v1alpha1",' +
        '"metadata":{"name":"frontend","namespace":"shop",' +
        '"selfLink":"/apis/metrics.smi-spec.io/v1alpha1/namespaces/shop/deployments/frontend",' +
        '"creationTimestamp":"2026-11-01T12:00:05Z"},' +
        '"timestamp":"2026-11-01T12:00:00Z","window":"5m0s",' +
        '"resource":{"kind":"Deployment","namespace":"shop","name":"frontend"},' +
        '"edge":{"direction":"from","resource":null},' +
        '"metrics":[{"name":"p99_response_latency","unit":"ms","value":"296875m"},' +
        '{"name":"p90_response_latency","unit":"ms","value":"73492m"},' +
        '{"name":"p50_response_latency","unit":"ms","value":"9m"},' +
        '{"name":"success_count","value":"294"},{"name":"failure_count","value":"6"}]}',
    );
  });

  it('always all five entries in the SDK\'s order; latency "0" without traffic, never NaN', () => {
    const zero = (name: string) => ({ name, unit: "ms", value: "0" });
    assert.deepEqual(smiMetrics(idle), [
      zero("p99_response_latency"),
      zero("p90_response_latency"),
      zero("p50_response_latency"),
      { name: "success_count", value: "0" },
      { name: "failure_count", value: "0" },
    ]);
    const nan = { ...busy, latency: { ...NO_LATENCY, p99: Number.NaN, p50: 5 } };
    assert.deepEqual(smiMetrics(nan), [
      zero("p99_response_latency"),
      zero("p90_response_latency"),
      { name: "p50_response_latency", unit: "ms", value: "5" },
      { name: "success_count", value: "294" },
      { name: "failure_count", value: "6" },
    ]);
  });

  it("values are cut to milli units as the SDK's NewMilliQuantity(int64(v*1000)) cuts them", () => {
    const m = goldenMetrics(
      { success: 240.4999, failure: 1.3846153846, latency: { p50: 56.395488361, p90: 0.0009, p95: 1, p99: 1.005 } },
      { seconds: 60 },
      at,
    );
    assert.deepEqual(
      smiMetrics(m).map((x) => x.value),
      ["1004m", "0", "56395m", "240499m", "1384m"],
    );
  });

  it("namespaces have no namespace in metadata or resource", () => {
    const doc = resourceTrafficMetrics(ns, busy, now);
    assert.deepEqual(doc.metadata, {
      name: "shop",
      selfLink: "/apis/metrics.smi-spec.io/v1alpha1/namespaces/shop",
      creationTimestamp: "2026-11-01T12:00:05Z",
    });
    assert.deepEqual(doc.resource, { kind: "Namespace", name: "shop" });
  });

  it("edges: peer as edge.resource, selfLink of the edges list, direction lower-case", () => {
    const peer = { kind: "STATEFULSET", namespace: "data", name: "db" } as const;
    const e = edgeTrafficMetrics(
      { direction: "TO", resource: dep, peer, peerView: null, metrics: busy, mtls: true, measure: async () => null },
      now,
    );
    assert.equal(e.metadata.selfLink, "/apis/metrics.smi-spec.io/v1alpha1/namespaces/shop/deployments/frontend/edges");
    assert.deepEqual(e.edge, { direction: "to", resource: { kind: "StatefulSet", namespace: "data", name: "db" } });
    const list = edgeList(dep, [e]);
    assert.equal(
      goJson(list).slice(0, 200),
      (
        '{"kind":"TrafficMetricsList","apiVersion":"metrics.smi-spec.io/v1alpha1",' +
        '"metadata":{"selfLink":"/apis/metrics.smi-spec.io/v1alpha1/namespaces/shop/deployments/frontend/edges"},' +
        '"resource":{"kind":"Deployment","namespace":"shop","name":"frontend"},"items":['
      ).slice(0, 200),
    );
  });

  it("lists: resource names the kind (and namespace), items [] when empty", () => {
    assert.equal(
      goJson(resourceList("deployments", "Deployment", "shop", [])),
      '{"kind":"TrafficMetricsList","apiVersion":"metrics.smi-spec.io/v1alpha1",' +
        '"metadata":{"selfLink":"/apis/metrics.smi-spec.io/v1alpha1/namespaces/shop/deployments"},"resource":{"kind":"Deployment",' +
        '"namespace":"shop"},"items":[]}',
    );
    assert.deepEqual(resourceList("deployments", "Deployment", null, []).resource, { kind: "Deployment" });
  });

  it("Go's HTML-safe escaping and metav1.Time", () => {
    assert.equal(goJson({ m: "<a&b>\u2028" }), '{"m":"\\u003ca\\u0026b\\u003e\\u2028"}');
    // Backspace and form feed as the reference's Go wrote them (Go 1.22 moved to \b and \f);
    // an escaped backslash before a b stays what it is; a lone surrogate is Go's \ufffd.
    assert.equal(goJson({ m: "a\bb\fc\\b\\f\n\t\u0001" }), '{"m":"a\\u0008b\\u000cc\\\\b\\\\f\\n\\t\\u0001"}');
    assert.equal(goJson(["\ud800x", "\ud83d\ude00"]), '["\\ufffdx","\ud83d\ude00"]');
    assert.equal(kubeTime(new Date("2019-04-08T22:25:55.999Z")), "2019-04-08T22:25:55Z");
  });
});
