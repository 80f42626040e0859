// The GraphQL suites (test/graphql) against VictoriaMetrics; see suites.ts.
import { runAgainstVictoriaMetrics } from "./suites.ts";

await runAgainstVictoriaMetrics("graphql");
