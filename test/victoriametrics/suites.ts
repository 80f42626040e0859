// Runs other test files against Debian's VictoriaMetrics instead of Prometheus:
// the harness reads MESHQL_TEST_BACKEND when it is first imported, so it is set
// before the suites are loaded (dynamically, after this line has run).

import { readdirSync } from "node:fs";
import { fileURLToPath } from "node:url";

export async function runAgainstVictoriaMetrics(dir: string): Promise<void> {
  process.env.MESHQL_TEST_BACKEND = "victoriametrics";
  const base = new URL(`../${dir}/`, import.meta.url);
  for (const file of readdirSync(fileURLToPath(base)).filter((f) => f.endsWith(".test.ts")).sort()) {
    await import(new URL(file, base).href);
  }
}
