import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { describe, it } from "node:test";
import { printMeshqlSchema } from "../../src/graphql/schema.ts";

describe("schema/schema.graphql", () => {
  it("is what the code prints (run `npm run schema` after changing src/graphql)", async () => {
    const checkedIn = readFileSync(new URL("../../schema/schema.graphql", import.meta.url), "utf8");
    assert.equal(checkedIn, await printMeshqlSchema());
  });
});
