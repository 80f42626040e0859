// The CLI's GraphQL operations are valid against the checked-in schema: a
// renamed field fails here, not in a user's terminal.

import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { it } from "node:test";
import { buildSchema, parse, validate } from "graphql";
import { OPERATIONS } from "../../src/cli/queries.ts";

const schema = buildSchema(readFileSync(new URL("../../schema/schema.graphql", import.meta.url), "utf8"));

for (const [name, text] of Object.entries(OPERATIONS)) {
  it(`${name} validates against schema/schema.graphql`, () => {
    assert.deepEqual(
      validate(schema, parse(text)).map((e) => e.message),
      [],
    );
  });
}
