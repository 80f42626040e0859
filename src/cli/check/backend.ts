// The backend half of `meshql check`: reachable, Prometheus-compatible, which
// meshes' series it holds, their scrape interval and the labels meshql needs.
// The PromQL behind each finding lives in src/mesh (inspect.ts, registry.ts).

import { formatWindow, type Window } from "../../domain/window.ts";
import type { MeshName } from "../../mesh/adapter.ts";
import { missingLabels, sampleSpacing } from "../../mesh/inspect.ts";
import { detectMeshes } from "../../mesh/registry.ts";
import { PrometheusClient } from "../../prometheus/client.ts";
import { BackendError } from "../../prometheus/errors.ts";
import { fail, ok, shownUrl, warn, type CheckResult } from "./report.ts";

export interface BackendCheckOptions {
  readonly prometheusUrl: string;
  /** Tenancy and auth headers (--prometheus-header): a Mimir or Cortex frontend refuses queries without its tenant. */
  readonly prometheusHeaders: Readonly<Record<string, string>>;
  readonly mesh: MeshName | "auto";
  readonly scrapeInterval: Window;
  readonly queryTimeoutMs: number;
  readonly now: Date;
}

/** How far back series count as present, as the adapters' detect() looks. */
const LOOKBACK: Window = { seconds: 600 };
const LOOKBACK_SHOWN = formatWindow(LOOKBACK);

export async function backendChecks(o: BackendCheckOptions): Promise<CheckResult[]> {
  const url = shownUrl(o.prometheusUrl);
  const backend = new PrometheusClient({ baseUrl: o.prometheusUrl, headers: o.prometheusHeaders, timeoutMs: o.queryTimeoutMs });
  const results: CheckResult[] = [];
  try {
    await backend.ping();
  } catch (e) {
    const message = e instanceof Error ? e.message.replaceAll(o.prometheusUrl, url) : String(e);
    if (e instanceof BackendError && (e.kind === "unreachable" || e.kind === "timeout")) {
      return [
        fail(
          "the backend is reachable",
          `tried ${url}/api/v1/query: ${message}`,
          "start the backend, or point --prometheus-url (MESHQL_PROMETHEUS_URL) at it",
        ),
      ];
    }
    return [
      ok("the backend is reachable", url),
      fail(
        "the backend speaks the Prometheus HTTP API",
        `tried ${url}/api/v1/query: ${message}`,
        "give --prometheus-url the base URL of a Prometheus-compatible API, the part before /api/v1",
      ),
    ];
  }
  results.push(ok("the backend is reachable", url), ok("the backend speaks the Prometheus HTTP API"));

  const found = await detectMeshes(backend, o.now);
  if (found.length === 0) {
    results.push(
      fail(
        "mesh metrics are present",
        `no Linkerd, Istio or Consul series in the last ${LOOKBACK_SHOWN} at ${url}`,
        "make the backend scrape the mesh's proxies",
      ),
    );
    return results;
  }
  if (o.mesh !== "auto" && !found.includes(o.mesh)) {
    results.push(
      fail(
        `--mesh ${o.mesh} has series in the backend`,
        `found series of ${found.join(", ")} only at ${url}`,
        `pass --mesh ${found[0]} or --mesh auto`,
      ),
    );
    return results;
  }
  results.push(ok("mesh metrics are present", `found ${found.join(", ")}`));
  for (const mesh of o.mesh === "auto" ? found : [o.mesh]) {
    results.push(await scrapeIntervalCheck(backend, mesh, o), await labelsCheck(backend, mesh, o.now));
  }
  return results;
}

async function scrapeIntervalCheck(backend: PrometheusClient, mesh: MeshName, o: BackendCheckOptions): Promise<CheckResult> {
  const { metric, seconds } = await sampleSpacing(backend, mesh, LOOKBACK, o.now);
  const title = `${mesh}: the scrape interval matches --scrape-interval`;
  const configured = o.scrapeInterval.seconds;
  if (seconds === null)
    return warn(title, `no ${metric} series spans the last ${LOOKBACK_SHOWN}: too young to measure`, "run meshql check again later");
  const measured = Math.round(seconds);
  // A quarter either way: a missed or late scrape shifts the count a little.
  if (seconds >= configured * 0.75 && seconds <= configured * 1.34) return ok(title, `samples ${measured}s apart`);
  return fail(
    title,
    `${metric} samples are ${measured}s apart, but --scrape-interval is ${configured}s`,
    `pass --scrape-interval ${measured}s (MESHQL_SCRAPE_INTERVAL)`,
  );
}

async function labelsCheck(backend: PrometheusClient, mesh: MeshName, now: Date): Promise<CheckResult> {
  const missing = (await missingLabels(backend, mesh, LOOKBACK, now)).map((m) =>
    m.noSeries ? `${m.metric} (no series)` : `${m.metric} without ${m.labels.join(", ")}`,
  );
  const title = `${mesh}: the labels meshql needs are present`;
  if (missing.length === 0) return ok(title);
  return fail(
    title,
    `missing: ${missing.join("; ")}`,
    "keep these series and labels in the backend (check relabelling rules: labeldrop, metric_relabel_configs; " +
      "on VictoriaMetrics, -maxLabelsPerTimeseries: see docs/backends.md)",
  );
}
