// `meshql check`: what serve would need, checked one by one, with ✔/✖ and
// what to do; exit code 1 when any check fails.

import { EXIT } from "../errors.ts";
import { parseServeOptions, type FlagValues } from "../options.ts";
import { backendChecks } from "./backend.ts";
import { clusterChecks } from "./cluster.ts";
import { line, section, type CheckResult } from "./report.ts";

export async function check(values: FlagValues, env: NodeJS.ProcessEnv = process.env): Promise<void> {
  const options = parseServeOptions(values, env);
  const now = new Date();
  const out = (text: string): void => void process.stdout.write(text);
  const all: CheckResult[] = [];
  const run = async (name: string, results: Promise<CheckResult[] | null>): Promise<void> => {
    const got = await results;
    out(section(name));
    if (got === null) out("- no cluster configured (--kubeconfig, KUBECONFIG, ~/.kube/config or in-cluster): skipped\n");
    for (const r of got ?? []) out(line(r));
    out("\n");
    all.push(...(got ?? []));
  };
  await run("backend", backendChecks({ ...options, now }));
  await run("kubernetes", clusterChecks({ kube: options.kube, tls: options.tls, env, now }));
  const failed = all.filter((r) => r.outcome === "fail").length;
  out(failed === 0 ? "Status check results are ✔\n" : `Status check results are ✖ (${failed} failed)\n`);
  if (failed > 0) process.exitCode = EXIT.usage;
}
