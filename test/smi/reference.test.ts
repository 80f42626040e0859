// Every golden answer against the facts of the reference's wire shape
// (smi-sdk-go v0.3.0 metrics/v1alpha1 as smi-metrics marshalled it), so a
// golden file regenerated with a regression cannot pass review unnoticed.
// Differences that are deliberate are listed in src/smi/README.md.

import assert from "node:assert/strict";
import { readdirSync, readFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { describe, it } from "node:test";
import { fileURLToPath } from "node:url";
import { formatGoDuration, parseGoDuration } from "../../src/domain/go-duration.ts";
import { compareDecimals, parseQuantity } from "../../src/domain/quantity.ts";
import { goJson } from "../../src/smi/json.ts";

const GOLDEN = join(dirname(fileURLToPath(import.meta.url)), "..", "golden", "smi");
const METRICS = ["p99_response_latency", "p90_response_latency", "p50_response_latency", "success_count", "failure_count"];

const KUBE_KINDS = ["Pod", "Deployment", "DaemonSet", "StatefulSet", "ReplicaSet", "Job", "Namespace"];

type Doc = Record<string, unknown>;

/** The keys, in order, that Go's encoding/json writes for these structs (omitempty fields may be absent). */
function assertKeys(obj: unknown, order: readonly string[], optional: readonly string[], where: string): void {
  const keys = Object.keys(obj as object);
  assert.deepEqual(
    keys,
    order.filter((k) => keys.includes(k) || !optional.includes(k)),
    `${where}: keys ${keys.join(",")}`,
  );
}

function assertTrafficMetrics(tm: Doc, where: string): void {
  assertKeys(tm, ["kind", "apiVersion", "metadata", "timestamp", "window", "resource", "edge", "metrics"], [], where);
  assert.equal(tm.kind, "TrafficMetrics");
  assert.equal(tm.apiVersion, "metrics.smi-spec.io/v1alpha1");
  assertKeys(tm.metadata, ["name", "namespace", "selfLink", "creationTimestamp"], ["namespace"], `${where}.metadata`);
  assert.match(tm.timestamp as string, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/, where);
  // metav1.Duration: Go's Duration.String(), which ParseDuration reads back to the same text.
  assert.equal(formatGoDuration(parseGoDuration(tm.window as string)), tm.window, `${where}.window`);
  assertKeys(tm.resource, ["kind", "namespace", "name"], ["namespace"], `${where}.resource`);
  // Kubernetes' spelling, a documented difference from the SDK's "Daemonset"/"Statefulset".
  for (const r of [tm.resource, (tm.edge as Doc).resource]) {
    if (r) assert.ok(KUBE_KINDS.includes((r as Doc).kind as string), `${where}: kind ${(r as Doc).kind}`);
  }
  assertKeys(tm.edge, ["direction", "resource"], [], `${where}.edge`);
  const metrics = tm.metrics as Array<{ name: string; unit?: string; value: string }>;
  assert.deepEqual(
    metrics.map((m) => m.name),
    METRICS,
    `${where}: all five metrics, in the SDK's order`,
  );
  metrics.forEach((m, i) => {
    assertKeys(m, ["name", "unit", "value"], ["unit"], `${where}.${m.name}`);
    assert.equal(m.unit, i < 3 ? "ms" : undefined, `${where}.${m.name}.unit`);
    // NewMilliQuantity: a whole number of milli units, never finer.
    const q = parseQuantity(m.value);
    const milli = { mantissa: q.mantissa * 1000n, exponent: q.exponent };
    const whole = {
      mantissa: milli.exponent >= 0 ? milli.mantissa * 10n ** BigInt(milli.exponent) : milli.mantissa / 10n ** BigInt(-milli.exponent),
      exponent: 0,
    };
    assert.equal(compareDecimals(milli, whole), 0, `${where}.${m.name} ${m.value} is finer than milli units`);
  });
}

describe("golden answers have the reference's wire shape", () => {
  const files = readdirSync(GOLDEN).filter((f) => f.endsWith(".json"));
  it("the golden set covers every path shape", () => {
    const kinds = new Set(files.map((f) => (JSON.parse(readFileSync(join(GOLDEN, f), "utf8")) as Doc).kind));
    for (const k of ["APIResourceList", "TrafficMetrics", "TrafficMetricsList", "Status"]) assert.ok(kinds.has(k), k);
    const all = files.map((f) => readFileSync(join(GOLDEN, f), "utf8")).join("\n");
    for (const kind of ['"kind":"DaemonSet"', '"kind":"StatefulSet"']) assert.ok(all.includes(kind), kind);
  });
  for (const file of files) {
    it(file, () => {
      const raw = readFileSync(join(GOLDEN, file), "utf8");
      const doc = JSON.parse(raw) as Doc;
      // Compact Go bytes: re-encoding the parsed document gives the file back.
      assert.equal(goJson(doc), raw, "not compact Go-encoded JSON");
      if (doc.kind === "TrafficMetrics") assertTrafficMetrics(doc, file);
      if (doc.kind === "TrafficMetricsList") {
        assertKeys(doc, ["kind", "apiVersion", "metadata", "resource", "items"], [], file);
        assert.ok(Array.isArray(doc.items), `${file}: items is a list`);
        for (const [i, item] of (doc.items as Doc[]).entries()) assertTrafficMetrics(item, `${file}.items[${i}]`);
      }
      if (doc.kind === "Status") {
        assertKeys(doc, ["kind", "apiVersion", "metadata", "status", "message", "reason", "details", "code"], ["details"], file);
        if (doc.code === 400 && file !== "bad-url.json") {
          assert.ok((doc.details as { causes?: Array<{ field?: string }> }).causes?.[0]?.field, `${file}: a 400 names its field`);
        }
      }
    });
  }
});
