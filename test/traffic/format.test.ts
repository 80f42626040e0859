// Combining several writers' families.

import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { allFamilies, type MeshFormat } from "../../src/demo/traffic/format.ts";
import { linkerd } from "../../src/demo/traffic/linkerd.ts";
import { topologyModel } from "../fixtures/topology.ts";

const model = topologyModel();
const gauge = (name: string, mesh: string): MeshFormat => ({
  name: mesh,
  families: () => [{ type: "gauge", name, help: "h", series: [{ labels: { mesh }, value: () => 1 }] }],
});

describe("allFamilies", () => {
  it("merges same-named families of two meshes", () => {
    const families = allFamilies(model, [gauge("process_x", "a"), gauge("process_x", "b")]);
    assert.equal(families.length, 1);
    assert.equal(families[0]!.series.length, 2);
  });

  it("refuses a series written twice, or one family with two types", () => {
    assert.throws(() => allFamilies(model, [gauge("process_x", "a"), gauge("process_x", "a")]), /written twice/);
    const counter: MeshFormat = {
      name: "c",
      families: () => [{ type: "counter", name: "process_x_total", help: "h", series: [] }],
    };
    assert.throws(
      () =>
        allFamilies(model, [counter, { ...counter, families: () => [{ type: "gauge", name: "process_x_total", help: "h", series: [] }] }]),
      /both counter and gauge/,
    );
  });

  it("the Linkerd writer's families are unique and well formed", () => {
    const names = allFamilies(model, [linkerd]).map((f) => f.name);
    assert.deepEqual(names.slice(0, 3), ["request_total", "response_total", "response_latency_ms"]);
    assert.ok(names.includes("tcp_open_connections") && names.includes("process_cpu_seconds_total"));
  });
});
