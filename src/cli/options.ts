// The options of `meshql serve` (and `check`) as data: the command line
// (src/cli.ts, commander) declares a flag per entry. Checking the values: flags
// first, then MESHQL_* environment variables, then defaults. A mistake is one
// line and exit code 1.

import { parseWindow, type Window } from "../domain/window.ts";
import type { DocumentLimits } from "../graphql/cost.ts";
import { parseByteSize, type ServerLimits } from "../server/limits.ts";
import { MESH_NAMES, type MeshName } from "../mesh/adapter.ts";
import { LOG_FORMATS, LOG_LEVELS, type LogOptions } from "../server/log-options.ts";

export class UsageError extends Error {
  override readonly name = "UsageError";
}

export interface ServeOptions {
  readonly mesh: MeshName | "auto";
  readonly prometheusUrl: string;
  readonly host: string;
  readonly port: number;
  readonly defaultWindow: Window;
  readonly scrapeInterval: Window;
  readonly seenLookback: Window;
  readonly queryTimeoutMs: number;
  readonly cacheTtlMs: number;
  /** Sent with every backend query (tenancy, auth), e.g. X-Scope-OrgID. */
  readonly prometheusHeaders: Readonly<Record<string, string>>;
  /** Ask the backend for gzip answers: worth it across a slow network only. */
  readonly backendCompression: boolean;
  /** Most documents executing at once; 0: no limit. */
  readonly maxConcurrentDocuments: number;
  readonly kube: KubeFlags;
  /** HTTPS serving; null serves plain HTTP. */
  readonly tls: { readonly certFile: string; readonly keyFile: string } | null;
  readonly documentLimits: DocumentLimits;
  readonly serverLimits: ServerLimits;
  readonly maxBackendResponseBytes: number;
  readonly maxBackendInFlightBytes: number;
  readonly maxAtAge: Window;
  readonly log: LogOptions;
  readonly graphqlIde: boolean;
  readonly subscriptions: { readonly maxConnections: number; readonly maxSubscriptionsPerConnection: number };
}

/** Kubernetes' own flag names, as every extension API server takes them. */
export interface KubeFlags {
  readonly kubeconfig: string | null;
  readonly requestheaderClientCAFile: string | null;
  readonly requestheaderAllowedNames: readonly string[] | null;
  readonly requestheaderUsernameHeaders: readonly string[] | null;
  readonly requestheaderGroupHeaders: readonly string[] | null;
  readonly requestheaderExtraHeadersPrefix: readonly string[] | null;
  readonly authenticationKubeconfig: string | null;
  readonly authorizationKubeconfig: string | null;
}

export interface FlagSpec {
  readonly env: string;
  readonly default: string;
  readonly help: string;
  /** Given several times; its environment variable holds one value per line. */
  readonly repeatable?: true;
}

export const SERVE_FLAGS = {
  mesh: { env: "MESHQL_MESH", default: "auto", help: "linkerd | istio | consul | auto (detect from the backend's series)" },
  "prometheus-url": {
    env: "MESHQL_PROMETHEUS_URL",
    default: "http://127.0.0.1:9090",
    help: "base URL of a Prometheus-compatible HTTP API",
  },
  listen: { env: "MESHQL_LISTEN", default: "127.0.0.1:8080", help: "HOST:PORT to serve GraphQL, SMI REST, probes and /metrics on" },
  "default-window": { env: "MESHQL_DEFAULT_WINDOW", default: "30s", help: "window used when a request names none" },
  "scrape-interval": {
    env: "MESHQL_SCRAPE_INTERVAL",
    default: "10s",
    help: "the backend's scrape interval; windows shorter than twice it are refused",
  },
  "seen-lookback": {
    env: "MESHQL_SEEN_LOOKBACK",
    default: "1h",
    help: "without a cluster, how recent traffic must be for a resource to be listed",
  },
  "query-timeout": { env: "MESHQL_QUERY_TIMEOUT", default: "10s", help: "timeout of one backend query" },
  "cache-ttl": { env: "MESHQL_CACHE_TTL", default: "5s", help: "how long identical backend and GraphQL answers are reused (0: never)" },
  "max-query-depth": { env: "MESHQL_MAX_QUERY_DEPTH", default: "10", help: "deepest field nesting of a GraphQL document" },
  "max-query-cost": {
    env: "MESHQL_MAX_QUERY_COST",
    default: "10000",
    help: "highest estimated cost of a GraphQL document (a field costs 1; a list multiplies what is under it by 10)",
  },
  "max-at-age": {
    env: "MESHQL_MAX_AT_AGE",
    default: "15d",
    help: "how far back `at` may reach (set it to the backend's retention, e.g. 400d)",
  },
  "request-timeout": { env: "MESHQL_REQUEST_TIMEOUT", default: "30s", help: "time a client has to send a request's headers and body" },
  "idle-timeout": { env: "MESHQL_IDLE_TIMEOUT", default: "2m", help: "a connection without traffic for this long is closed" },
  "max-header-size": { env: "MESHQL_MAX_HEADER_SIZE", default: "16KiB", help: "largest request header block" },
  "max-body-size": { env: "MESHQL_MAX_BODY_SIZE", default: "1MiB", help: "largest request body" },
  "max-connections": { env: "MESHQL_MAX_CONNECTIONS", default: "1024", help: "most open client connections" },
  "max-backend-response": {
    env: "MESHQL_MAX_BACKEND_RESPONSE",
    default: "64MiB",
    help: "largest backend answer to one query; reading stops past it (bad_response)",
  },
  "max-backend-in-flight": {
    env: "MESHQL_MAX_BACKEND_IN_FLIGHT",
    default: "256MiB",
    help: "most bytes of backend answers being read at once",
  },
  "log-level": { env: "MESHQL_LOG_LEVEL", default: "info", help: LOG_LEVELS.join(" | ") },
  "log-format": { env: "MESHQL_LOG_FORMAT", default: "auto", help: "json | pretty | auto (pretty on a terminal, else JSON lines)" },
  "graphql-ide": { env: "MESHQL_GRAPHQL_IDE", default: "true", help: "true | false: serve the GraphQL IDE to browsers at GET /graphql" },
  "max-websocket-connections": {
    env: "MESHQL_MAX_WEBSOCKET_CONNECTIONS",
    default: "1000",
    help: "GraphQL WebSocket connections open at once; more get 503",
  },
  "max-subscriptions-per-connection": {
    env: "MESHQL_MAX_SUBSCRIPTIONS_PER_CONNECTION",
    default: "100",
    help: "operations at once on one WebSocket connection; more get TOO_MANY_SUBSCRIPTIONS",
  },
  "prometheus-header": {
    env: "MESHQL_PROMETHEUS_HEADERS",
    default: "",
    help: "`Name: value` sent with every backend query, e.g. `X-Scope-OrgID: team-a` (repeatable; env: one per line)",
    repeatable: true,
  },
  "backend-compression": {
    env: "MESHQL_BACKEND_COMPRESSION",
    default: "false",
    help: "true | false: ask the backend for gzip answers (worth it across a slow network; false asks for identity)",
  },
  "max-concurrent-documents": {
    env: "MESHQL_MAX_CONCURRENT_DOCUMENTS",
    default: "16",
    help: "documents (GraphQL, SMI metrics) executing at once; past it 503 with Retry-After (0: no limit)",
  },
} as const satisfies Record<string, FlagSpec>;

export const KUBE_FLAGS = {
  kubeconfig: "kubeconfig file of the cluster (else KUBECONFIG, ~/.kube/config, in-cluster; none: no cluster)",
  "tls-cert-file": "serving certificate (PEM); with --tls-private-key-file serves HTTPS, reloaded when the files change",
  "tls-private-key-file": "serving key (PEM)",
  "requestheader-client-ca-file": "CA of front-proxy client certificates (else from kube-system/extension-apiserver-authentication)",
  "requestheader-allowed-names": "comma-separated CNs allowed as front proxy (empty: any signed by the CA)",
  "requestheader-username-headers": "comma-separated headers holding the user (X-Remote-User)",
  "requestheader-group-headers": "comma-separated headers holding groups (X-Remote-Group)",
  "requestheader-extra-headers-prefix": "comma-separated header prefixes of user extras (X-Remote-Extra-)",
  "authentication-kubeconfig": "kubeconfig for TokenReviews (default: the cluster's)",
  "authorization-kubeconfig": "kubeconfig for SubjectAccessReviews (default: the cluster's)",
} as const;

type FlagName = keyof typeof SERVE_FLAGS;
type KubeFlagName = keyof typeof KUBE_FLAGS;

/** Flag values as the command line parsed them (name without dashes -> value); absent flags are undefined. */
export type FlagValues = Readonly<Record<string, string | undefined>>;

export function parseServeOptions(values: FlagValues, env: NodeJS.ProcessEnv): ServeOptions {
  const get = (name: FlagName): string => {
    const v = values[name];
    return typeof v === "string" ? v : (env[SERVE_FLAGS[name].env] ?? SERVE_FLAGS[name].default);
  };
  const window = (name: FlagName): Window => {
    try {
      return parseWindow(get(name), `--${name}`);
    } catch (e) {
      throw new UsageError(e instanceof Error ? e.message : String(e));
    }
  };

  const positive = (name: FlagName): number => {
    const n = Number(get(name));
    if (!/^\d+$/.test(get(name)) || !Number.isSafeInteger(n) || n < 1)
      throw new UsageError(`--${name} must be a whole number above 0, not ${JSON.stringify(get(name))}`);
    return n;
  };
  const bytes = (name: FlagName): number => {
    const n = parseByteSize(get(name));
    if (n === null || n < 1)
      throw new UsageError(`--${name} must be a size such as 64MiB, 512KiB or 1000000, not ${JSON.stringify(get(name))}`);
    return n;
  };
  const repeated = (name: FlagName): string[] =>
    get(name)
      .split("\n")
      .filter((line) => line.trim() !== "");
  const maxConcurrentDocuments = Number(get("max-concurrent-documents"));
  if (!/^\d+$/.test(get("max-concurrent-documents")) || !Number.isSafeInteger(maxConcurrentDocuments)) {
    throw new UsageError(`--max-concurrent-documents must be a whole number >= 0, not ${JSON.stringify(get("max-concurrent-documents"))}`);
  }

  const mesh = get("mesh");
  if (mesh !== "auto" && !(MESH_NAMES as readonly string[]).includes(mesh)) {
    throw new UsageError(`--mesh must be one of ${[...MESH_NAMES, "auto"].join(", ")}, not ${JSON.stringify(mesh)}`);
  }
  const prometheusUrl = get("prometheus-url");
  if (!/^https?:\/\/[^/]+/.test(prometheusUrl))
    throw new UsageError(`--prometheus-url must be an http(s) URL, not ${JSON.stringify(prometheusUrl)}`);
  const { host, port } = parseListen(get("listen"));
  const kubeFlag = (name: KubeFlagName): string | null => {
    const v = values[name];
    return typeof v === "string" && v !== "" ? v : null;
  };
  const list = (name: KubeFlagName): string[] | null =>
    kubeFlag(name)
      ?.split(",")
      .map((x) => x.trim())
      .filter(Boolean) ?? null;
  const certFile = kubeFlag("tls-cert-file");
  const keyFile = kubeFlag("tls-private-key-file");
  if ((certFile === null) !== (keyFile === null)) throw new UsageError("--tls-cert-file and --tls-private-key-file go together");
  const flag = (name: FlagName): boolean => {
    const v = get(name);
    if (v !== "true" && v !== "false") throw new UsageError(`--${name} must be true or false, not ${JSON.stringify(v)}`);
    return v === "true";
  };
  const defaultWindow = window("default-window");
  const scrapeInterval = window("scrape-interval");
  if (defaultWindow.seconds < 2 * scrapeInterval.seconds) {
    throw new UsageError(
      `--default-window must be at least twice --scrape-interval (${2 * scrapeInterval.seconds}s): rates need two samples`,
    );
  }
  const logLevel = oneOf("log-level", get("log-level"), LOG_LEVELS);
  const logFormat = oneOf("log-format", get("log-format"), LOG_FORMATS);
  return {
    mesh: mesh as MeshName | "auto",
    prometheusUrl,
    host,
    port,
    defaultWindow,
    scrapeInterval,
    seenLookback: window("seen-lookback"),
    queryTimeoutMs: window("query-timeout").seconds * 1000,
    cacheTtlMs: /^0[smhd]?$/.test(get("cache-ttl")) ? 0 : window("cache-ttl").seconds * 1000,
    prometheusHeaders: parseHeaders(repeated("prometheus-header")),
    backendCompression: flag("backend-compression"),
    maxConcurrentDocuments,
    kube: {
      kubeconfig: kubeFlag("kubeconfig"),
      requestheaderClientCAFile: kubeFlag("requestheader-client-ca-file"),
      requestheaderAllowedNames: list("requestheader-allowed-names"),
      requestheaderUsernameHeaders: list("requestheader-username-headers"),
      requestheaderGroupHeaders: list("requestheader-group-headers"),
      requestheaderExtraHeadersPrefix: list("requestheader-extra-headers-prefix"),
      authenticationKubeconfig: kubeFlag("authentication-kubeconfig"),
      authorizationKubeconfig: kubeFlag("authorization-kubeconfig"),
    },
    tls: certFile && keyFile ? { certFile, keyFile } : null,
    documentLimits: { maxDepth: positive("max-query-depth"), maxCost: positive("max-query-cost") },
    serverLimits: {
      requestTimeoutMs: window("request-timeout").seconds * 1000,
      idleTimeoutMs: window("idle-timeout").seconds * 1000,
      maxHeaderBytes: bytes("max-header-size"),
      maxBodyBytes: bytes("max-body-size"),
      maxConnections: positive("max-connections"),
    },
    maxBackendResponseBytes: bytes("max-backend-response"),
    maxBackendInFlightBytes: bytes("max-backend-in-flight"),
    // Retention may be years: whole days past the 30-day window maximum are fine here.
    maxAtAge:
      /^\d+d$/.test(get("max-at-age")) && Number.parseInt(get("max-at-age"), 10) > 0
        ? { seconds: Number.parseInt(get("max-at-age"), 10) * 86400 }
        : window("max-at-age"),
    log: { level: logLevel, format: logFormat },
    graphqlIde: flag("graphql-ide"),
    subscriptions: {
      maxConnections: positive("max-websocket-connections"),
      maxSubscriptionsPerConnection: positive("max-subscriptions-per-connection"),
    },
  };
}

function oneOf<T extends string>(flag: FlagName, value: string, allowed: readonly T[]): T {
  if (!(allowed as readonly string[]).includes(value))
    throw new UsageError(`--${flag} must be one of ${allowed.join(", ")}, not ${JSON.stringify(value)}`);
  return value as T;
}

/** `Name: value` lines as a header record; a malformed or repeated name is a usage error. */
export function parseHeaders(lines: readonly string[]): Record<string, string> {
  const out: Record<string, string> = {};
  for (const line of lines) {
    const match = /^([!#$%&'*+.^_`|~0-9A-Za-z-]+):\s*(.*?)\s*$/.exec(line);
    if (!match || /[\r\n\0]/.test(match[2]!))
      throw new UsageError(`--prometheus-header must be "Name: value", not ${JSON.stringify(line)}`);
    const name = match[1]!.toLowerCase();
    if (name in out) throw new UsageError(`--prometheus-header ${match[1]} is given twice`);
    out[name] = match[2]!;
  }
  return out;
}

export function parseListen(text: string): { host: string; port: number } {
  const match = /^(\[[0-9a-fA-F:.]+\]|[^:\s[\]]*):(\d{1,5})$/.exec(text);
  const port = match ? Number(match[2]) : Number.NaN;
  if (!match || port > 65535)
    throw new UsageError(`--listen must be HOST:PORT (e.g. 127.0.0.1:8080 or :8080), not ${JSON.stringify(text)}`);
  const host = match[1]!.replace(/^\[|\]$/g, "") || "0.0.0.0";
  return { host, port };
}
