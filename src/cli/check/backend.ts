// The backend half of `meshql check`: reachable, Prometheus-compatible, which
// meshes' series it holds, their scrape interval and the labels meshql needs.
// Metric and label names come from the adapters (meshSeries).

import type { Window } from "../../domain/window.ts";
import type { MeshName } from "../../mesh/adapter.ts";
import { detectMeshes, meshSeries } from "../../mesh/registry.ts";
import { PrometheusClient } from "../../prometheus/client.ts";
import { BackendError } from "../../prometheus/errors.ts";
import { neq, selector } from "../../prometheus/promql.ts";
import { fail, ok, shownUrl, warn, type CheckResult } from "./report.ts";

export interface BackendCheckOptions {
  readonly prometheusUrl: string;
  readonly mesh: MeshName | "auto";
  readonly scrapeInterval: Window;
  readonly queryTimeoutMs: number;
  readonly now: Date;
}

/** How far back series count as present, as the adapters' detect() looks. */
const LOOKBACK = "10m";
const LOOKBACK_SECONDS = 600;

export async function backendChecks(o: BackendCheckOptions): Promise<CheckResult[]> {
  const url = shownUrl(o.prometheusUrl);
  const backend = new PrometheusClient({ baseUrl: o.prometheusUrl, timeoutMs: o.queryTimeoutMs });
  const results: CheckResult[] = [];
  try {
    await backend.query("vector(1)", o.now);
  } catch (e) {
    const message = e instanceof Error ? e.message.replaceAll(o.prometheusUrl, url) : String(e);
    if (e instanceof BackendError && (e.kind === "unreachable" || e.kind === "timeout")) {
      return [fail("the backend is reachable", `tried ${url}/api/v1/query: ${message}`, "start the backend, or point --prometheus-url (MESHQL_PROMETHEUS_URL) at it")];
    }
    return [
      ok("the backend is reachable", url),
      fail("the backend speaks the Prometheus HTTP API", `tried ${url}/api/v1/query: ${message}`, "give --prometheus-url the base URL of a Prometheus-compatible API, the part before /api/v1"),
    ];
  }
  results.push(ok("the backend is reachable", url), ok("the backend speaks the Prometheus HTTP API"));

  const found = await detectMeshes(backend, o.now);
  if (found.length === 0) {
    results.push(fail("mesh metrics are present", `no Linkerd, Istio or Consul series in the last ${LOOKBACK} at ${url}`, "make the backend scrape the mesh's proxies"));
    return results;
  }
  if (o.mesh !== "auto" && !found.includes(o.mesh)) {
    results.push(fail(`--mesh ${o.mesh} has series in the backend`, `found series of ${found.join(", ")} only at ${url}`, `pass --mesh ${found[0]} or --mesh auto`));
    return results;
  }
  results.push(ok("mesh metrics are present", `found ${found.join(", ")}`));
  for (const mesh of o.mesh === "auto" ? found : [o.mesh]) {
    results.push(await scrapeIntervalCheck(backend, mesh, o), await labelsCheck(backend, mesh, o.now));
  }
  return results;
}

/**
 * The median spacing of samples, over series that span the whole lookback
 * (those with samples before it too): younger series would read as sparser.
 */
async function scrapeIntervalCheck(backend: PrometheusClient, mesh: MeshName, o: BackendCheckOptions): Promise<CheckResult> {
  const metric = meshSeries(mesh)[0]!.metric;
  const spanning = `count_over_time(${metric}[${LOOKBACK}]) and count_over_time(${metric}[1m] offset ${LOOKBACK})`;
  // The span runs from the lookback's start to the newest sample, which may be older than now.
  const span = `(${LOOKBACK_SECONDS} - (time() - timestamp(${metric})))`;
  const [sample] = await backend.query(`quantile(0.5, ${span} / (${spanning}))`, o.now);
  const title = `${mesh}: the scrape interval matches --scrape-interval`;
  const configured = o.scrapeInterval.seconds;
  if (!sample || !Number.isFinite(sample.value)) return warn(title, `no ${metric} series spans the last ${LOOKBACK}: too young to measure`, "run meshql check again later");
  const measured = Math.round(sample.value);
  // A quarter either way: a missed or late scrape shifts the count a little.
  if (sample.value >= configured * 0.75 && sample.value <= configured * 1.34) return ok(title, `samples ${measured}s apart`);
  return fail(title, `${metric} samples are ${measured}s apart, but --scrape-interval is ${configured}s`, `pass --scrape-interval ${measured}s (MESHQL_SCRAPE_INTERVAL)`);
}

async function labelsCheck(backend: PrometheusClient, mesh: MeshName, now: Date): Promise<CheckResult> {
  const missing: string[] = [];
  for (const { metric, labels } of meshSeries(mesh)) {
    const counts = await Promise.all(
      labels.map(async (label) => (await backend.query(`count(last_over_time(${selector(metric, [neq(label, "")])}[${LOOKBACK}]))`, now))[0]?.value ?? 0),
    );
    const absent = labels.filter((_, i) => !(counts[i]! > 0));
    if (absent.length === labels.length) missing.push(`${metric} (no series)`);
    else if (absent.length > 0) missing.push(`${metric} without ${absent.join(", ")}`);
  }
  const title = `${mesh}: the labels meshql needs are present`;
  if (missing.length === 0) return ok(title);
  return fail(title, `missing: ${missing.join("; ")}`, "keep these series and labels in the backend (check relabelling rules: labeldrop, metric_relabel_configs)");
}
