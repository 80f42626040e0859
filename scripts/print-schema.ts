// Prints the schema built from the type-graphql code; `npm run schema` writes
// it to schema/schema.graphql, and a test fails when the checked-in copy is stale.
import "reflect-metadata";
import { writeFileSync } from "node:fs";
import { printMeshqlSchema } from "../src/graphql/schema.ts";

const out = new URL("../schema/schema.graphql", import.meta.url);
writeFileSync(out, await printMeshqlSchema());
console.log(`wrote ${out.pathname}`);
