// Finding the cluster the way kubectl does: --kubeconfig, else $KUBECONFIG
// (a path list, merged, first definition wins), else ~/.kube/config, else the
// pod's service account. Nothing found means no cluster (null): the caller
// runs the backend-only inventory and says so. Unlike
// KubeConfig.loadFromDefault(), this never invents http://localhost:8080.

import { existsSync } from "node:fs";
import { isIPv6 } from "node:net";
import { homedir } from "node:os";
import { delimiter, join } from "node:path";
import { KubeConfig } from "@kubernetes/client-node";

export const SERVICE_ACCOUNT_DIR = "/var/run/secrets/kubernetes.io/serviceaccount";

export type KubeConfigSource = "flag" | "env" | "home" | "in-cluster";

export interface LoadedKubeConfig {
  readonly kubeConfig: KubeConfig;
  readonly source: KubeConfigSource;
  /** For the start-up log: where it came from and which server it points at. */
  readonly description: string;
}

export interface LoadKubeConfigOptions {
  /** --kubeconfig */
  readonly kubeconfigPath?: string | null;
  /** --context; default: the file's current-context */
  readonly context?: string | null;
  readonly env?: Readonly<Record<string, string | undefined>>;
  /** null: do not look in a home directory */
  readonly home?: string | null;
  readonly serviceAccountDir?: string;
}

function checked(kc: KubeConfig, source: KubeConfigSource, where: string, context: string | null | undefined): LoadedKubeConfig {
  if (context) {
    if (!kc.getContextObject(context)) throw new Error(`kubeconfig ${where}: no context named ${JSON.stringify(context)}`);
    kc.setCurrentContext(context);
  }
  const cluster = kc.getCurrentCluster();
  if (!kc.getCurrentContext() || !cluster) throw new Error(`kubeconfig ${where}: no current context with a cluster`);
  if (!cluster.server) throw new Error(`kubeconfig ${where}: cluster ${JSON.stringify(cluster.name)} has no server`);
  return { kubeConfig: kc, source, description: `${where} (context ${kc.getCurrentContext()}, server ${cluster.server})` };
}

/** Merges kubeconfig files as kubectl does: the first file to define a name or the current context wins. */
function mergeFiles(paths: readonly string[]): KubeConfig {
  const merged = new KubeConfig();
  merged.loadFromOptions({ clusters: [], users: [], contexts: [], currentContext: "" });
  for (const p of paths) {
    const kc = new KubeConfig();
    kc.loadFromFile(p);
    const take = <T extends { name: string }>(mine: T[], theirs: readonly T[]): void => {
      for (const t of theirs) if (!mine.some((m) => m.name === t.name)) mine.push(t);
    };
    take(merged.clusters as { name: string }[], kc.getClusters());
    take(merged.users as { name: string }[], kc.getUsers());
    take(merged.contexts as { name: string }[], kc.getContexts());
    if (!merged.getCurrentContext() && kc.getCurrentContext()) merged.setCurrentContext(kc.getCurrentContext());
  }
  return merged;
}

export function loadKubeConfig(options: LoadKubeConfigOptions = {}): LoadedKubeConfig | null {
  const env = options.env ?? process.env;
  if (options.kubeconfigPath) {
    // An explicit path that does not exist is an error, never a reason to look elsewhere.
    if (!existsSync(options.kubeconfigPath)) throw new Error(`--kubeconfig ${options.kubeconfigPath} does not exist`);
    const kc = new KubeConfig();
    kc.loadFromFile(options.kubeconfigPath);
    return checked(kc, "flag", `--kubeconfig ${options.kubeconfigPath}`, options.context);
  }
  const listed = (env.KUBECONFIG ?? "").split(delimiter).filter((p) => p !== "");
  if (listed.length > 0) {
    const present = listed.filter((p) => existsSync(p));
    if (present.length === 0) throw new Error(`KUBECONFIG names no existing file (${listed.join(delimiter)})`);
    return checked(mergeFiles(present), "env", `KUBECONFIG ${present.join(delimiter)}`, options.context);
  }
  const home = options.home === undefined ? homedir() : options.home;
  const homeConfig = home ? join(home, ".kube", "config") : null;
  if (homeConfig && existsSync(homeConfig)) {
    const kc = new KubeConfig();
    kc.loadFromFile(homeConfig);
    return checked(kc, "home", homeConfig, options.context);
  }
  const saDir = options.serviceAccountDir ?? SERVICE_ACCOUNT_DIR;
  if (existsSync(join(saDir, "token"))) {
    const host = env.KUBERNETES_SERVICE_HOST;
    const port = env.KUBERNETES_SERVICE_PORT;
    if (!host || !port) {
      throw new Error(`a service account token is mounted at ${saDir} but KUBERNETES_SERVICE_HOST/PORT are not set`);
    }
    const kc = new KubeConfig();
    // What loadFromCluster builds, but from saDir: the token is re-read from its
    // file as it rotates (bound service account tokens expire within the hour).
    kc.loadFromOptions({
      clusters: [
        {
          name: "in-cluster",
          server: `https://${isIPv6(host) ? `[${host}]` : host}:${port}`,
          caFile: join(saDir, "ca.crt"),
          skipTLSVerify: false,
        },
      ],
      users: [{ name: "in-cluster", authProvider: { name: "tokenFile", config: { tokenFile: join(saDir, "token") } } }],
      contexts: [{ name: "in-cluster", cluster: "in-cluster", user: "in-cluster" }],
      currentContext: "in-cluster",
    });
    return checked(kc, "in-cluster", "in-cluster service account", null);
  }
  return null;
}
