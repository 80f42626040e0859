// Wires one gateway together: backend client, cache, adapter, inventory,
// service and HTTP app. The CLI, the demo and the tests all start it here.

import { readFileSync } from "node:fs";
import type { Server as TlsServer } from "node:tls";
import type { FastifyInstance } from "fastify";
import type { KubeFlags } from "../cli/options.ts";
import type { KubeIntegration } from "../kube/index.ts";
import { watchServingCertificate } from "../kube/tls-reload.ts";
import type { Window } from "../domain/window.ts";
import type { MeshAdapter, MeshName } from "../mesh/adapter.ts";
import { createAdapter, detectMeshes } from "../mesh/registry.ts";
import type { DocumentLimits } from "../graphql/cost.ts";
import { ByteBudget, DEFAULT_MAX_IN_FLIGHT_BYTES } from "../prometheus/body.ts";
import { PrometheusClient } from "../prometheus/client.ts";
import { BackendError } from "../prometheus/errors.ts";
import { CoalescingQuerier } from "../prometheus/coalesce.ts";
import { RangeSlicer } from "../prometheus/slicer.ts";
import type { SeriesSteps } from "../domain/series.ts";
import { ALLOW_ALL } from "../service/access.ts";
import { BackendInventory } from "../service/backend-inventory.ts";
import type { Inventory } from "../service/inventory.ts";
import { MeshqlService } from "../service/service.ts";
import { AnswerSharing } from "../graphql/shared-execution.ts";
import { buildApp } from "./app.ts";
import type { ServerLimits } from "./limits.ts";
import { meshReadiness, meshWarning } from "./mesh-check.ts";
import { logFailedQuery, SILENT_LOGGER, type Logger } from "./log.ts";
import { GatewayMetrics } from "./metrics.ts";
import type { SubscriptionLimits } from "./subscriptions.ts";

export interface GatewayConfig {
  readonly mesh: MeshName | "auto";
  readonly prometheusUrl: string;
  readonly defaultWindow: Window;
  /** The backend's scrape interval; windows shorter than twice this are refused. */
  readonly scrapeInterval: Window;
  readonly seenLookback: Window;
  readonly queryTimeoutMs: number;
  /** Sent with every backend query (tenancy headers of Thanos, Mimir, Cortex). */
  readonly prometheusHeaders?: Readonly<Record<string, string>>;
  /** Ask the backend for gzip answers (worth it across a slow network only); default false: identity. */
  readonly backendCompression?: boolean;
  /** How long identical backend answers are reused; 0 shares only concurrent ones. */
  readonly cacheTtlMs: number;
  readonly clock?: () => Date;
  readonly inventory?: Inventory;
  /**
   * The Kubernetes side: inventory, authentication, authorization. Absent: none
   * at all, everyone is anonymous and may see everything (the demo, tests).
   */
  readonly kube?: KubeFlags & { readonly allowAnonymous: boolean | "without-cluster" };
  /** Most bytes of whole GraphQL answers kept for cacheTtlMs (default 64 MiB). */
  readonly answerCacheBytes?: number;
  /** Identical concurrent GraphQL documents share one execution (default true; off only to measure it). */
  readonly shareExecutions?: boolean;
  /** Most documents (GraphQL, SMI metrics) executing at once, 503 past it; 0: no limit (default 16). */
  readonly maxConcurrentDocuments?: number;
  /** Most adapter calls one request may cause (default 64). */
  readonly maxBatchesPerRequest?: number;
  /** HTTPS serving, reloaded when the files change. */
  readonly tls?: { readonly certFile: string; readonly keyFile: string } | null;
  /** Off in tests that start many gateways in one process. */
  readonly processMetrics?: boolean;
  /** GraphQL depth and cost limits; default DEFAULT_DOCUMENT_LIMITS. */
  readonly documentLimits?: DocumentLimits;
  /** HTTP timeouts and sizes; default DEFAULT_SERVER_LIMITS. */
  readonly serverLimits?: ServerLimits;
  /** Most bytes of one backend answer (default 64 MiB), and of all answers being read at once (default 256 MiB). */
  readonly maxBackendResponseBytes?: number;
  readonly maxBackendInFlightBytes?: number;
  /** How far back `at` may reach; absent: back to the Unix epoch. */
  readonly maxAtAge?: Window;
  /** Start-up notes, requests, failed backend queries, masked errors. Default: silent. */
  readonly logger?: Logger;
  /** Serve the GraphQL IDE to browsers at GET /graphql (default true). */
  readonly graphqlIde?: boolean;
  /** Limits of GraphQL subscriptions over WebSocket; unset ones take DEFAULT_SUBSCRIPTION_LIMITS. */
  readonly subscriptions?: Partial<SubscriptionLimits>;
}

export interface Gateway {
  readonly app: FastifyInstance;
  readonly service: MeshqlService;
  readonly metrics: GatewayMetrics;
  readonly mesh: MeshName;
  /** How the mesh was chosen, for start-up logs and /readyz. */
  readonly meshReason: string;
  close(): Promise<void>;
}

export async function createGateway(config: GatewayConfig): Promise<Gateway> {
  const logger = config.logger ?? SILENT_LOGGER;
  const log = (line: string): void => logger.info(line);
  const metrics = new GatewayMetrics({ processMetrics: config.processMetrics ?? true });
  const client = new PrometheusClient({
    baseUrl: config.prometheusUrl,
    timeoutMs: config.queryTimeoutMs,
    observer: (event) => {
      metrics.observeQuery(event);
      if (event.outcome !== "ok") logFailedQuery(logger, config.prometheusUrl, event);
    },
    ...(config.maxBackendResponseBytes ? { maxResponseBytes: config.maxBackendResponseBytes } : {}),
    inFlight: new ByteBudget(config.maxBackendInFlightBytes ?? DEFAULT_MAX_IN_FLIGHT_BYTES),
    ...(config.prometheusHeaders ? { headers: config.prometheusHeaders } : {}),
    compression: config.backendCompression ?? false,
  });
  const backend = new CoalescingQuerier(client, { ttlMs: config.cacheTtlMs, maxEntries: 2000 });
  const clock = config.clock ?? (() => new Date());

  const { mesh, reason } = await chooseMesh(config.mesh, backend, clock());
  log(`mesh ${mesh} (${reason})`);
  const warning = await meshWarning(mesh, backend, clock());
  if (warning) logger.warn(warning);
  if (config.scrapeInterval.seconds * 2 > 30) {
    log(
      `with a ${config.scrapeInterval.seconds}s scrape interval, GraphQL's default window of 30s is too short: clients must pass ` +
        "a window (or null for --default-window)",
    );
  }
  const kube = config.kube ? await startKube(config.kube, log) : null;
  try {
    const resolver = kube?.inventory ?? null;
    const adapter: MeshAdapter = createAdapter(mesh, backend, resolver);
    // A series is the instant questions of its steps, answered by one range query per PromQL text.
    const seriesAdapter = (steps: SeriesSteps): MeshAdapter =>
      createAdapter(mesh, new RangeSlicer(backend, { start: steps.start, end: steps.end, stepSeconds: steps.stepSeconds }), resolver);
    const inventory = config.inventory ?? kube?.inventory ?? new BackendInventory();
    if (inventory.source === "backend") {
      log("no Kubernetes connection; resources are those the backend has seen traffic for, and labelSelector is unavailable");
    }

    const service = new MeshqlService(
      { adapter, seriesAdapter, inventory, authorizer: kube?.authorizer ?? ALLOW_ALL },
      {
        defaultWindow: config.defaultWindow,
        scrapeInterval: config.scrapeInterval,
        seenLookback: config.seenLookback,
        maxBatchesPerRequest: config.maxBatchesPerRequest ?? 64,
        ...(config.maxAtAge ? { maxAtAge: config.maxAtAge } : {}),
        clock,
      },
    );
    const tls = config.tls ? { cert: readFileSync(config.tls.certFile), key: readFileSync(config.tls.keyFile) } : null;
    const app = await buildApp({
      service,
      metrics,
      ...(config.documentLimits ? { documentLimits: config.documentLimits } : {}),
      ...(config.serverLimits ? { serverLimits: config.serverLimits } : {}),
      logger,
      graphqlIde: config.graphqlIde ?? true,
      ...(config.shareExecutions === false
        ? {}
        : { sharing: new AnswerSharing({ ttlMs: config.cacheTtlMs, maxBytes: config.answerCacheBytes ?? 64 * 1024 * 1024 }) }),
      admission: { maxConcurrent: config.maxConcurrentDocuments ?? 16, retryAfterSeconds: 1 },
      ...(kube ? { authenticate: (request) => kube.authenticateRequest(request.raw) } : {}),
      subscriptions: { limits: config.subscriptions ?? {}, ...(kube ? { authenticate: kube.authenticateRequest } : {}) },
      ...(tls ? { https: kube ? kube.tlsOptions(tls) : tls } : {}),
      readiness: [
        // Probes are public: say what failed, never where the backend is.
        {
          name: "backend",
          run: async () => {
            await client.ping().catch((e: unknown) => {
              throw new Error(e instanceof BackendError ? `metrics backend ${e.kind}` : "metrics backend failed");
            });
            return "metrics backend answers";
          },
        },
        meshReadiness(mesh, reason, backend, clock, warning),
      ],
    });
    const reloader =
      config.tls &&
      watchServingCertificate(app.server as unknown as TlsServer, {
        certFile: config.tls.certFile,
        keyFile: config.tls.keyFile,
        // A new secure context replaces the old one whole: keep verifying front-proxy certificates.
        contextOptions: () => (kube?.requestHeader ? { ca: kube.requestHeader.clientCAPem } : {}),
        log,
      });
    const close = async (): Promise<void> => {
      reloader?.close();
      await app.close();
      kube?.close();
    };
    return { app, service, metrics, mesh, meshReason: reason, close };
  } catch (e) {
    // Informers would keep retrying for a gateway that never started.
    kube?.close();
    throw e;
  }
}

/** Imported only when asked for: @kubernetes/client-node alone is ~70 MiB of RSS a backend-only gateway does not need. */
async function startKube(flags: NonNullable<GatewayConfig["kube"]>, log: (line: string) => void): Promise<KubeIntegration> {
  const { kubeconfig, ...authn } = flags;
  const { startKubeIntegration } = await import("../kube/index.ts");
  return startKubeIntegration({ ...authn, kubeconfig: { kubeconfigPath: kubeconfig }, log });
}

async function chooseMesh(
  requested: MeshName | "auto",
  backend: CoalescingQuerier,
  now: Date,
): Promise<{ mesh: MeshName; reason: string }> {
  if (requested !== "auto") return { mesh: requested, reason: "chosen by --mesh" };
  try {
    const found = await detectMeshes(backend, now);
    if (found.length === 0) return { mesh: "linkerd", reason: "auto: no mesh metrics found yet, defaulting to linkerd" };
    const [first, ...others] = found as [MeshName, ...MeshName[]];
    const also = others.length > 0 ? `; also present: ${others.join(", ")} (one gateway serves one mesh: run one per mesh)` : "";
    return { mesh: first, reason: `auto: detected ${first}${also}` };
  } catch (e) {
    // This reason is shown on /readyz: the kind of failure, never the backend's address.
    const kind = e instanceof BackendError ? e.kind : "failed";
    return { mesh: "linkerd", reason: `auto: backend ${kind} at start-up, defaulting to linkerd` };
  }
}
