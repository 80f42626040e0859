// The CLI's only way in: POST /graphql on a running gateway, with the
// credentials of a kubeconfig's current context when one is given. Failures
// become CliErrors that say what to do.

import http from "node:http";
import https from "node:https";
import type { LoadedKubeConfig } from "../kube/config.ts";
import { CliError, EXIT } from "./errors.ts";

export const DEFAULT_SERVER = "http://127.0.0.1:8080";

export interface ClientFlags {
  readonly server?: string;
  readonly kubeconfig?: string;
  readonly context?: string;
  readonly insecureSkipTlsVerify?: boolean;
}

interface Credentials {
  readonly headers: Record<string, string>;
  readonly tls: Pick<https.RequestOptions, "cert" | "key" | "ca" | "rejectUnauthorized">;
}

export interface GatewayClient {
  readonly server: string;
  request<T>(query: string, variables: object): Promise<T>;
}

interface GraphQLError {
  readonly message: string;
  readonly extensions?: { readonly code?: string };
}

/** Codes whose cause is the command line: exit 1. Everything else is the gateway's side: exit 2. */
const USAGE_CODES = new Set(["BAD_USER_INPUT", "NOT_FOUND", "GRAPHQL_VALIDATION_FAILED", "UNSUPPORTED"]);

export async function connect(flags: ClientFlags, env: NodeJS.ProcessEnv = process.env): Promise<GatewayClient> {
  const server = (flags.server ?? env.MESHQL_SERVER ?? DEFAULT_SERVER).replace(/\/+$/, "");
  let endpoint: URL;
  try {
    endpoint = new URL(`${server}/graphql`);
  } catch {
    throw new CliError(`--server must be a URL such as ${DEFAULT_SERVER}, not ${JSON.stringify(server)}`, EXIT.usage);
  }
  if (!/^https?:$/.test(endpoint.protocol))
    throw new CliError(`--server must be an http or https URL, not ${JSON.stringify(server)}`, EXIT.usage);
  const credentials = await credentialsOf(flags, env);
  const tls = { ...credentials.tls, ...(flags.insecureSkipTlsVerify ? { rejectUnauthorized: false } : {}) };
  const shown = `${endpoint.origin}${endpoint.pathname}`;
  return {
    server: endpoint.origin,
    async request<T>(query: string, variables: object): Promise<T> {
      const { status, body } = await post(endpoint, JSON.stringify({ query, variables }), credentials.headers, tls).catch((e: unknown) => {
        const code = (e as NodeJS.ErrnoException).code ?? (e instanceof Error ? e.message : String(e));
        throw new CliError(
          `cannot reach the gateway at ${shown} (${code}): start one with "meshql serve" or "meshql demo", or point --server or ` +
            "MESHQL_SERVER at it",
          EXIT.backend,
        );
      });
      if (status === 401 || status === 403) {
        throw new CliError(
          `the gateway at ${shown} refused the request (HTTP ${status}): pass --kubeconfig with a user it accepts`,
          EXIT.backend,
        );
      }
      let parsed: { data?: T | null; errors?: GraphQLError[] };
      try {
        parsed = JSON.parse(body) as typeof parsed;
      } catch {
        throw new CliError(`${shown} answered HTTP ${status} without GraphQL JSON: is --server a meshql gateway?`, EXIT.backend);
      }
      const error = parsed.errors?.[0];
      if (error) {
        const code = error.extensions?.code ?? "UNKNOWN";
        const hint =
          code === "UNAUTHENTICATED" || code === "FORBIDDEN"
            ? ": pass --kubeconfig with a user allowed to read metrics.smi-spec.io"
            : code === "BACKEND_UNAVAILABLE"
              ? ": the gateway cannot read its metrics backend; `meshql check` with the gateway's flags tells why"
              : "";
        throw new CliError(`${error.message} (${code})${hint}`, USAGE_CODES.has(code) ? EXIT.usage : EXIT.backend);
      }
      if (parsed.data == null) throw new CliError(`${shown} answered HTTP ${status} with no data`, EXIT.backend);
      return parsed.data;
    },
  };
}

async function credentialsOf(flags: ClientFlags, env: NodeJS.ProcessEnv): Promise<Credentials> {
  // Only a kubeconfig the user names: never send ~/.kube/config's secrets to an arbitrary --server.
  if (!flags.kubeconfig && !env.KUBECONFIG) return { headers: {}, tls: {} };
  const { loadKubeConfig } = await import("../kube/config.ts");
  let loaded: LoadedKubeConfig | null;
  try {
    loaded = loadKubeConfig({ kubeconfigPath: flags.kubeconfig ?? null, context: flags.context ?? null, env, home: null });
  } catch (e) {
    throw new CliError(`${e instanceof Error ? e.message : String(e)}: fix --kubeconfig or KUBECONFIG`, EXIT.usage);
  }
  if (!loaded) return { headers: {}, tls: {} };
  const options: https.RequestOptions = {};
  await loaded.kubeConfig.applyToHTTPSOptions(options);
  const headers: Record<string, string> = {};
  for (const [k, v] of Object.entries(options.headers ?? {})) if (typeof v === "string") headers[k] = v;
  // The cluster's CA is the API server's, not the gateway's: only the user's own certificate goes along.
  return { headers, tls: { cert: options.cert, key: options.key } };
}

function post(url: URL, body: string, headers: Record<string, string>, tls: Credentials["tls"]): Promise<{ status: number; body: string }> {
  const send = url.protocol === "https:" ? https.request : http.request;
  return new Promise((resolve, reject) => {
    const req = send(
      url,
      {
        method: "POST",
        headers: { ...headers, "content-type": "application/json", accept: "application/json", "content-length": Buffer.byteLength(body) },
        timeout: 30_000,
        ...tls,
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on("data", (c: Buffer) => chunks.push(c));
        res.on("end", () => resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString("utf8") }));
        res.on("error", reject);
      },
    );
    req.on("timeout", () => req.destroy(Object.assign(new Error("timeout"), { code: "ETIMEDOUT" })));
    req.on("error", reject);
    req.end(body);
  });
}
