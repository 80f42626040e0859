// Orders that clients see: the same on every machine, whatever its locale.

import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { compareEdges } from "../../src/domain/edges.ts";
import { compareRefs, type ResourceRef } from "../../src/domain/resource.ts";

const dep = (namespace: string, name: string): ResourceRef => ({ kind: "DEPLOYMENT", namespace, name });

describe("orders", () => {
  it("sorts references by namespace, name and kind in code-unit order, not the locale's", () => {
    const refs = [
      dep("shop", "b"),
      dep("shop", "B"),
      dep("data", "z"),
      dep("shop", "a-1"),
      dep("shop", "a1"),
      { kind: "NAMESPACE", namespace: null, name: "shop" } as const,
    ];
    const names = refs.sort(compareRefs).map((r) => `${r.namespace ?? ""}/${r.name}`);
    // localeCompare would put "b" before "B"; code units put every upper-case letter first.
    assert.deepEqual(names, ["/shop", "data/z", "shop/B", "shop/a-1", "shop/a1", "shop/b"]);
    assert.ok("b".localeCompare("B", "en") < 0, "the locale's order differs here, so the test can tell them apart");
  });

  it("puts FROM edges before TO edges, then orders by peer", () => {
    const edge = (direction: "FROM" | "TO", peer: ResourceRef) => ({ direction, peer });
    const edges = [edge("TO", dep("data", "db")), edge("FROM", dep("shop", "frontend")), edge("FROM", dep("data", "reports"))];
    assert.deepEqual(
      edges.sort(compareEdges).map((e) => `${e.direction} ${e.peer.namespace}/${e.peer.name}`),
      ["FROM data/reports", "FROM shop/frontend", "TO data/db"],
    );
  });
});
