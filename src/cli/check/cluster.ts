// The cluster half of `meshql check`, for meshql as the aggregated API server
// of metrics.smi-spec.io: the APIService, the serving certificate, the
// front-proxy (requestheader) settings, and the RBAC for delegated auth.

import { X509Certificate } from "node:crypto";
import { readFileSync } from "node:fs";
import type { LoadedKubeConfig } from "../../kube/config.ts";
import type { KubeFlags } from "../options.ts";
import { fail, ok, warn, type CheckResult } from "./report.ts";

export const APISERVICE = "v1alpha1.metrics.smi-spec.io";
const APISERVICE_PATH = `/apis/apiregistration.k8s.io/v1/apiservices/${APISERVICE}`;
const SSAR_PATH = "/apis/authorization.k8s.io/v1/selfsubjectaccessreviews";
/** Below this a certificate is "near expiry" (a warning); expired or not yet valid fails. */
const EXPIRY_WARNING_DAYS = 30;

interface ApiService {
  readonly spec?: { readonly caBundle?: string; readonly service?: { readonly namespace?: string; readonly name?: string } };
  readonly status?: {
    readonly conditions?: readonly {
      readonly type: string;
      readonly status: string;
      readonly reason?: string;
      readonly message?: string;
    }[];
  };
}

export interface ClusterCheckOptions {
  readonly kube: KubeFlags;
  readonly tls: { readonly certFile: string; readonly keyFile: string } | null;
  readonly env: NodeJS.ProcessEnv;
  readonly now: Date;
}

/** null: no cluster configured, nothing to check. */
export async function clusterChecks(o: ClusterCheckOptions): Promise<CheckResult[] | null> {
  const { loadKubeConfig } = await import("../../kube/config.ts");
  const { KubeClient, isKubeApiError } = await import("../../kube/client.ts");
  const { delegationClient, loadRequestHeaderSettings } = await import("../../kube/authn-config.ts");
  let loaded: LoadedKubeConfig | null;
  try {
    loaded = loadKubeConfig({ kubeconfigPath: o.kube.kubeconfig, env: o.env });
  } catch (e) {
    return [fail("the kubeconfig is readable", e instanceof Error ? e.message : String(e), "fix --kubeconfig or KUBECONFIG")];
  }
  if (!loaded) return null;
  const server = loaded.kubeConfig.getCurrentCluster()?.server ?? "?";
  const main = new KubeClient(loaded.kubeConfig);
  const authn = delegationClient(o.kube.authenticationKubeconfig, main)!;
  const authz = delegationClient(o.kube.authorizationKubeconfig, main)!;
  const why = (e: unknown): string => (e instanceof Error ? e.message : String(e));
  const results: CheckResult[] = [];
  try {
    // The APIService: registered, and the aggregator reaches meshql through it.
    let apiService: ApiService | null = null;
    try {
      apiService = await main.json<ApiService>("GET", APISERVICE_PATH);
      const available = apiService.status?.conditions?.find((c) => c.type === "Available");
      const detail = available?.message ? `: ${available.message}` : "";
      const reason = available?.reason ? ` (${available.reason}${detail})` : "";
      results.push(ok(`the APIService ${APISERVICE} exists`, `at ${server}`));
      results.push(
        available?.status === "True"
          ? ok(`the APIService ${APISERVICE} is Available`)
          : fail(
              `the APIService ${APISERVICE} is Available`,
              `Available is ${available?.status ?? "unset"}${reason}`,
              `check that the Service ${apiService.spec?.service?.namespace ?? "?"}/${apiService.spec?.service?.name ?? "?"} has ` +
                "ready endpoints and that meshql serves HTTPS there",
            ),
      );
    } catch (e) {
      const missing = isKubeApiError(e) && e.status === 404;
      results.push(
        fail(
          `the APIService ${APISERVICE} exists`,
          `tried GET ${server}${APISERVICE_PATH}: ${why(e)}`,
          missing
            ? "apply the manifests in deploy/ (kubectl apply -k deploy/...)"
            : "check the kubeconfig's credentials and that they may get apiservices",
        ),
      );
    }

    results.push(servingCertificate(o, apiService));

    // Front-proxy settings: without them, requests the aggregator forwards cannot be authenticated.
    const title = "the requestheader (front-proxy) configuration is readable";
    try {
      const header = await loadRequestHeaderSettings(o.kube, authn);
      results.push(
        header.settings
          ? ok(title, header.note)
          : fail(
              title,
              header.note,
              "pass --requestheader-client-ca-file, or run meshql against a cluster whose API server has --requestheader-client-ca-file",
            ),
      );
    } catch (e) {
      results.push(
        fail(
          title,
          `tried ${server}/api/v1/namespaces/kube-system/configmaps/extension-apiserver-authentication: ${why(e)}`,
          "bind the Role kube-system/extension-apiserver-authentication-reader to meshql's service account",
        ),
      );
    }

    for (const [client, group, resource] of [
      [authn, "authentication.k8s.io", "tokenreviews"],
      [authz, "authorization.k8s.io", "subjectaccessreviews"],
    ] as const) {
      const title = `meshql may create ${resource}.${group}`;
      const hint = "bind the ClusterRole system:auth-delegator to meshql's service account";
      try {
        const review = await client.json<{ status?: { allowed?: boolean; reason?: string } }>("POST", SSAR_PATH, {
          apiVersion: "authorization.k8s.io/v1",
          kind: "SelfSubjectAccessReview",
          spec: { resourceAttributes: { group, resource, verb: "create" } },
        });
        results.push(
          review.status?.allowed
            ? ok(title)
            : fail(title, `the API server at ${server} says no${review.status?.reason ? `: ${review.status.reason}` : ""}`, hint),
        );
      } catch (e) {
        results.push(fail(title, `tried POST ${server}${SSAR_PATH}: ${why(e)}`, hint));
      }
    }
  } finally {
    for (const c of new Set([main, authn, authz])) c.close();
  }
  return results;
}

function servingCertificate(o: ClusterCheckOptions, apiService: ApiService | null): CheckResult {
  const title = "the serving certificate is valid";
  if (!o.tls)
    return fail(
      title,
      "no --tls-cert-file: meshql would serve plain HTTP, which the API server's aggregator does not accept",
      "pass --tls-cert-file and --tls-private-key-file",
    );
  let cert: X509Certificate;
  try {
    cert = new X509Certificate(readFileSync(o.tls.certFile));
  } catch (e) {
    return fail(
      title,
      `cannot read ${o.tls.certFile}: ${e instanceof Error ? e.message : String(e)}`,
      "give --tls-cert-file a PEM certificate",
    );
  }
  const from = new Date(cert.validFrom);
  const to = new Date(cert.validTo);
  const days = (to.getTime() - o.now.getTime()) / 86_400_000;
  if (o.now < from || days < 0)
    return fail(title, `${o.tls.certFile} is valid from ${from.toISOString()} to ${to.toISOString()}`, "renew the certificate");
  const caBundle = apiService?.spec?.caBundle;
  if (caBundle) {
    const ca = new X509Certificate(Buffer.from(caBundle, "base64"));
    if (!cert.checkIssued(ca) || !cert.verify(ca.publicKey)) {
      return fail(
        title,
        `${o.tls.certFile} is not signed by the APIService's caBundle (${ca.subject.replaceAll("\n", ", ")})`,
        "sign the serving certificate with that CA, or update spec.caBundle",
      );
    }
  }
  if (days < EXPIRY_WARNING_DAYS)
    return warn(title, `${o.tls.certFile} expires in ${Math.floor(days)} days (${to.toISOString()})`, "renew the certificate soon");
  return ok(title, `expires ${to.toISOString().slice(0, 10)}${caBundle ? ", signed by the APIService's caBundle" : ""}`);
}
