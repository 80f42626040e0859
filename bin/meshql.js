#!/usr/bin/env node
// Runs the built CLI when there is one (npm run build), else the TypeScript source through tsx.
import { existsSync } from "node:fs";
import { fileURLToPath } from "node:url";

const built = new URL("../dist/cli.js", import.meta.url);
if (existsSync(built)) {
  await import(built.href);
} else {
  const { register } = await import("tsx/esm/api");
  // The project's tsconfig (decorators), whatever the current directory is.
  register({ tsconfig: fileURLToPath(new URL("../tsconfig.json", import.meta.url)) });
  await import(new URL("../src/cli.ts", import.meta.url).href);
}
