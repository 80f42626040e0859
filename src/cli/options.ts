// Parsing and checking `meshql serve` options: flags first, then MESHQL_*
// environment variables, then defaults. Any mistake is one line and exit 2.

import { parseArgs } from "node:util";
import { parseWindow, type Window } from "../domain/window.ts";
import { MESH_NAMES, type MeshName } from "../mesh/adapter.ts";

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
  /** Most documents executing at once; 0: no limit. */
  readonly maxConcurrentDocuments: number;
  readonly kube: KubeFlags;
  /** HTTPS serving; null serves plain HTTP. */
  readonly tls: { readonly certFile: string; readonly keyFile: string } | null;
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

interface FlagSpec {
  readonly env: string;
  readonly default: string;
  readonly help: string;
  /** Given several times; its environment variable holds one value per line. */
  readonly repeatable?: true;
}

export const SERVE_FLAGS = {
  mesh: { env: "MESHQL_MESH", default: "auto", help: "linkerd | istio | consul | auto (detect from the backend's series)" },
  "prometheus-url": { env: "MESHQL_PROMETHEUS_URL", default: "http://127.0.0.1:9090", help: "base URL of a Prometheus-compatible HTTP API" },
  listen: { env: "MESHQL_LISTEN", default: "127.0.0.1:8080", help: "HOST:PORT to serve GraphQL, SMI REST, probes and /metrics on" },
  "default-window": { env: "MESHQL_DEFAULT_WINDOW", default: "30s", help: "window used when a request names none" },
  "scrape-interval": { env: "MESHQL_SCRAPE_INTERVAL", default: "10s", help: "the backend's scrape interval; windows shorter than twice it are refused" },
  "seen-lookback": { env: "MESHQL_SEEN_LOOKBACK", default: "1h", help: "without a cluster, how recent traffic must be for a resource to be listed" },
  "query-timeout": { env: "MESHQL_QUERY_TIMEOUT", default: "10s", help: "timeout of one backend query" },
  "cache-ttl": { env: "MESHQL_CACHE_TTL", default: "5s", help: "how long identical backend and GraphQL answers are reused (0: never)" },
  "prometheus-header": {
    env: "MESHQL_PROMETHEUS_HEADERS",
    default: "",
    help: "`Name: value` sent with every backend query, e.g. `X-Scope-OrgID: team-a` (repeatable; env: one per line)",
    repeatable: true,
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

export function parseServeOptions(argv: readonly string[], env: NodeJS.ProcessEnv): ServeOptions {
  let values: Partial<Record<string, string | boolean | string[]>>;
  try {
    const parsed = parseArgs({
      args: [...argv],
      options: Object.fromEntries(
        [...Object.keys(SERVE_FLAGS), ...Object.keys(KUBE_FLAGS)].map((k) => [
          k,
          { type: "string" as const, multiple: (SERVE_FLAGS as Record<string, FlagSpec>)[k]?.repeatable === true },
        ]),
      ),
      strict: true,
      allowPositionals: false,
    });
    values = parsed.values;
  } catch (e) {
    throw new UsageError(e instanceof Error ? e.message.split("\n")[0]! : String(e));
  }
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

  const repeated = (name: FlagName): string[] => {
    const v = values[name];
    return Array.isArray(v) ? v : (env[SERVE_FLAGS[name].env] ?? SERVE_FLAGS[name].default).split("\n").filter((line) => line.trim() !== "");
  };
  const maxConcurrentDocuments = Number(get("max-concurrent-documents"));
  if (!Number.isSafeInteger(maxConcurrentDocuments) || maxConcurrentDocuments < 0) {
    throw new UsageError(`--max-concurrent-documents must be a whole number >= 0, not ${JSON.stringify(get("max-concurrent-documents"))}`);
  }

  const mesh = get("mesh");
  if (mesh !== "auto" && !(MESH_NAMES as readonly string[]).includes(mesh)) {
    throw new UsageError(`--mesh must be one of ${[...MESH_NAMES, "auto"].join(", ")}, not ${JSON.stringify(mesh)}`);
  }
  const prometheusUrl = get("prometheus-url");
  if (!/^https?:\/\/[^/]+/.test(prometheusUrl)) throw new UsageError(`--prometheus-url must be an http(s) URL, not ${JSON.stringify(prometheusUrl)}`);
  const { host, port } = parseListen(get("listen"));
  const kubeFlag = (name: KubeFlagName): string | null => {
    const v = values[name];
    return typeof v === "string" && v !== "" ? v : null;
  };
  const list = (name: KubeFlagName): string[] | null => kubeFlag(name)?.split(",").map((x) => x.trim()).filter(Boolean) ?? null;
  const certFile = kubeFlag("tls-cert-file");
  const keyFile = kubeFlag("tls-private-key-file");
  if ((certFile === null) !== (keyFile === null)) throw new UsageError("--tls-cert-file and --tls-private-key-file go together");
  const defaultWindow = window("default-window");
  const scrapeInterval = window("scrape-interval");
  if (defaultWindow.seconds < 2 * scrapeInterval.seconds) {
    throw new UsageError(`--default-window must be at least twice --scrape-interval (${2 * scrapeInterval.seconds}s): rates need two samples`);
  }
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
  };
}

/** `Name: value` lines as a header record; a malformed or repeated name is a usage error. */
export function parseHeaders(lines: readonly string[]): Record<string, string> {
  const out: Record<string, string> = {};
  for (const line of lines) {
    const match = /^([!#$%&'*+.^_`|~0-9A-Za-z-]+):\s*(.*?)\s*$/.exec(line);
    if (!match || /[\r\n\0]/.test(match[2]!)) throw new UsageError(`--prometheus-header must be "Name: value", not ${JSON.stringify(line)}`);
    const name = match[1]!.toLowerCase();
    if (name in out) throw new UsageError(`--prometheus-header ${match[1]} is given twice`);
    out[name] = match[2]!;
  }
  return out;
}

export function parseListen(text: string): { host: string; port: number } {
  const match = /^(\[[0-9a-fA-F:.]+\]|[^:\s[\]]*):(\d{1,5})$/.exec(text);
  const port = match ? Number(match[2]) : Number.NaN;
  if (!match || port > 65535) throw new UsageError(`--listen must be HOST:PORT (e.g. 127.0.0.1:8080 or :8080), not ${JSON.stringify(text)}`);
  const host = match[1]!.replace(/^\[|\]$/g, "") || "0.0.0.0";
  return { host, port };
}

export function serveHelp(): string {
  const general = Object.entries(SERVE_FLAGS).map(
    ([name, f]) => `  --${name.padEnd(34)} ${f.help}\n  ${"".padEnd(36)} env ${f.env}, default ${f.default}`,
  );
  const kube = Object.entries(KUBE_FLAGS).map(([name, help]) => `  --${name.padEnd(34)} ${help}`);
  return `${general.join("\n")}\n\nKubernetes (as an extension API server; same names as kube-apiserver's):\n${kube.join("\n")}`;
}
