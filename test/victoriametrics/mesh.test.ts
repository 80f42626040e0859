// The adapter suites (test/mesh) against VictoriaMetrics; see suites.ts.
import { runAgainstVictoriaMetrics } from "./suites.ts";

await runAgainstVictoriaMetrics("mesh");
