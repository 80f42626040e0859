// One call that builds meshql's Kubernetes side for the server composition:
// the cluster connection (or none), the inventory, the authorizer, request
// authentication and the TLS options it needs. Everything here is optional at
// run time: with no cluster, inventory and authorizer are null and the caller
// keeps the backend-only inventory and its own authorization choice.

import type { UserInfo } from "../service/access.ts";
import { RequestAuthenticator, kubeTokenReviewer, type RequestHeaderSettings } from "./authn.ts";
import { delegationClient, loadRequestHeaderSettings, type AuthnFlags } from "./authn-config.ts";
import { SubjectAccessReviewAuthorizer } from "./authorizer.ts";
import { KubeClient } from "./client.ts";
import { loadKubeConfig, type LoadKubeConfigOptions } from "./config.ts";
import { KubeInventory } from "./inventory.ts";
import { makeAuthenticateRequest, withClientCertificates, type ClientCertTlsOptions, type IncomingLike } from "./tls.ts";

export interface KubeIntegrationOptions extends AuthnFlags {
  readonly kubeconfig?: LoadKubeConfigOptions;
  /** "without-cluster": only when there is neither a cluster nor front-proxy settings (the demo, a laptop). */
  readonly allowAnonymous: boolean | "without-cluster";
  /** Audiences for TokenReview; empty: the API server's own. */
  readonly tokenAudiences?: readonly string[];
  /** How long start-up waits for the first list of every collection; default 30 s. */
  readonly readyTimeoutMs?: number;
  readonly log: (message: string) => void;
}

export interface KubeIntegration {
  /** null: no cluster was found. */
  readonly inventory: KubeInventory | null;
  readonly authorizer: SubjectAccessReviewAuthorizer | null;
  /** "none": every authenticated user may read every namespace. */
  readonly authorization: "subjectaccessreview" | "none";
  readonly requestHeader: RequestHeaderSettings | null;
  /** For a fastify onRequest hook: `await authenticateRequest(request.raw)`. */
  readonly authenticateRequest: (req: IncomingLike) => Promise<UserInfo>;
  /** The https options plus requestCert/rejectUnauthorized/ca for front-proxy client certificates. */
  tlsOptions<T extends object>(base: T): T & ClientCertTlsOptions;
  close(): void;
}

/**
 * Connects, loads authentication settings and waits for the inventory's first
 * list. Throws when a cluster is configured but unusable (bad kubeconfig,
 * 401/403 on the first list, 403 on the ConfigMap, no complete first list
 * within readyTimeoutMs): that must stop start-up. Whatever it opened is
 * closed again before it throws.
 */
export async function startKubeIntegration(options: KubeIntegrationOptions): Promise<KubeIntegration> {
  const loaded = loadKubeConfig(options.kubeconfig);
  options.log(
    loaded ? `kubernetes: ${loaded.description}` : "kubernetes: no cluster configured; the inventory is what the metrics backend has seen",
  );

  // Reflectors retry forever and agents keep sockets open: a start-up that
  // fails part way must close them, or the process neither works nor exits.
  // Closed newest first, so the inventory stops before its client goes.
  const opened = new Set<{ close(): void }>();
  const track = <T extends { close(): void } | null>(c: T): T => {
    if (c) opened.add(c);
    return c;
  };
  const closeAll = (): void => {
    for (const c of [...opened].reverse()) c.close();
    opened.clear();
  };
  try {
    const main = track(loaded ? new KubeClient(loaded.kubeConfig) : null);
    const authnClient = track(delegationClient(options.authenticationKubeconfig, main));
    const authzClient = track(delegationClient(options.authorizationKubeconfig, main));
    const header = await loadRequestHeaderSettings(options, authnClient);
    options.log(`authentication: ${header.note}`);

    const allowAnonymous = options.allowAnonymous === "without-cluster" ? !loaded && !header.settings : options.allowAnonymous;
    if (allowAnonymous) options.log("authentication: anonymous requests are allowed (no cluster and no front proxy configured)");
    const authenticator = new RequestAuthenticator({
      requestHeader: header.settings,
      tokenReviewer: authnClient ? kubeTokenReviewer(authnClient, options.tokenAudiences) : null,
      allowAnonymous,
      log: options.log,
    });
    const authorizer = authzClient ? new SubjectAccessReviewAuthorizer(authzClient, { log: options.log }) : null;
    options.log(authorizationNote(authorizer !== null, header.settings !== null));
    const inventory = track(main ? new KubeInventory(main, { log: options.log }) : null);
    if (inventory) await inventory.ready(options.readyTimeoutMs ?? 30_000);

    return {
      inventory,
      authorizer,
      authorization: authorizer ? "subjectaccessreview" : "none",
      requestHeader: header.settings,
      authenticateRequest: makeAuthenticateRequest(authenticator),
      tlsOptions: (base) => withClientCertificates(base, header.settings),
      close: closeAll,
    };
  } catch (e) {
    closeAll();
    throw e;
  }
}

function authorizationNote(subjectAccessReviews: boolean, frontProxy: boolean): string {
  if (subjectAccessReviews) return "authorization: SubjectAccessReviews per namespace (cluster RBAC decides)";
  if (frontProxy) {
    // The one set-up where people authenticate but nothing limits what they see: say so where operators look.
    return (
      "WARNING: authorization is OFF: a front proxy is configured but there is no cluster to send SubjectAccessReviews to (no " +
      "kubeconfig, no --authorization-kubeconfig), so EVERY AUTHENTICATED USER MAY READ EVERY NAMESPACE"
    );
  }
  return "authorization: none (no cluster): every client that may connect sees every namespace";
}
