// The harness Prometheus over scaleTopology(n) in the Linkerd format, with the
// benches' short history: enough for a 1m window at T0, and 5,000 Deployments
// backfill in minutes (cached under .tmp/tsdb).

import { linkerd } from "../../src/demo/traffic/linkerd.ts";
import { buildModel } from "../../src/demo/traffic/model.ts";
import { scaleTopology, T0 } from "../../test/fixtures/topology.ts";
import { startPrometheus, type PrometheusInstance } from "../../test/harness/prometheus.ts";

/** The last 120 s before T0 every 15 s (9 samples per series); the tests' SCALE_HISTORY would be 4× the samples. */
export const BENCH_HISTORY = { start: T0 - 120, end: T0, step: 15 } as const;

export function startScalePrometheus(n: number): Promise<PrometheusInstance> {
  return startPrometheus({
    model: buildModel(scaleTopology(n)),
    formats: [linkerd],
    ...BENCH_HISTORY,
    readyTimeoutMs: 300_000,
    queryTimeout: "10m",
  });
}
