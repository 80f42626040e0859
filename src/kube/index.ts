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
  readonly log: (message: string) => void;
}

export interface KubeIntegration {
  /** null: no cluster was found. */
  readonly inventory: KubeInventory | null;
  readonly authorizer: SubjectAccessReviewAuthorizer | null;
  readonly authenticator: RequestAuthenticator;
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
 * 401/403 on the first list, 403 on the ConfigMap): that must stop start-up.
 */
export async function startKubeIntegration(options: KubeIntegrationOptions): Promise<KubeIntegration> {
  const loaded = loadKubeConfig(options.kubeconfig);
  const main = loaded ? new KubeClient(loaded.kubeConfig) : null;
  options.log(loaded ? `kubernetes: ${loaded.description}` : "kubernetes: no cluster configured; the inventory is what the metrics backend has seen");

  const authnClient = delegationClient(options.authenticationKubeconfig, main);
  const authzClient = delegationClient(options.authorizationKubeconfig, main);
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
  const inventory = main ? new KubeInventory(main, { log: options.log }) : null;
  if (inventory) await inventory.ready();

  return {
    inventory,
    authorizer,
    authenticator,
    requestHeader: header.settings,
    authenticateRequest: makeAuthenticateRequest(authenticator),
    tlsOptions: (base) => withClientCertificates(base, header.settings),
    close(): void {
      inventory?.close();
      for (const c of new Set([main, authnClient, authzClient])) c?.close();
    },
  };
}
