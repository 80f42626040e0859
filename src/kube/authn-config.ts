// Where authentication and authorization settings come from, as for any
// extension API server: the --requestheader-* flags when given, else the
// kube-system/extension-apiserver-authentication ConfigMap that kube-apiserver
// publishes (reading it needs the Role extension-apiserver-authentication-reader,
// bound in kube-system). The delegation kubeconfigs default to the main one.

import { readFileSync } from "node:fs";
import { KubeConfig } from "@kubernetes/client-node";
import {
  DEFAULT_EXTRA_HEADER_PREFIXES,
  DEFAULT_GROUP_HEADERS,
  DEFAULT_USERNAME_HEADERS,
  parseCertificates,
  type RequestHeaderSettings,
} from "./authn.ts";
import { isKubeApiError, KubeClient } from "./client.ts";

export interface AuthnFlags {
  readonly requestheaderClientCAFile?: string | null;
  readonly requestheaderAllowedNames?: readonly string[] | null;
  readonly requestheaderUsernameHeaders?: readonly string[] | null;
  readonly requestheaderGroupHeaders?: readonly string[] | null;
  readonly requestheaderExtraHeadersPrefix?: readonly string[] | null;
  readonly authenticationKubeconfig?: string | null;
  readonly authorizationKubeconfig?: string | null;
}

export const AUTH_CONFIGMAP_PATH = "/api/v1/namespaces/kube-system/configmaps/extension-apiserver-authentication";

const lower = (names: readonly string[]): string[] => names.map((n) => n.trim().toLowerCase()).filter((n) => n !== "");

export function requestHeaderSettings(input: {
  clientCAPem: string;
  allowedNames?: readonly string[] | null;
  usernameHeaders?: readonly string[] | null;
  groupHeaders?: readonly string[] | null;
  extraHeaderPrefixes?: readonly string[] | null;
}): RequestHeaderSettings {
  const clientCA = parseCertificates(input.clientCAPem);
  if (clientCA.length === 0) throw new Error("the requestheader client CA holds no PEM certificate");
  const usernameHeaders = lower(input.usernameHeaders?.length ? input.usernameHeaders : DEFAULT_USERNAME_HEADERS);
  return {
    clientCAPem: input.clientCAPem,
    clientCA,
    allowedNames: (input.allowedNames ?? []).filter((n) => n !== ""),
    usernameHeaders,
    groupHeaders: lower(input.groupHeaders?.length ? input.groupHeaders : DEFAULT_GROUP_HEADERS),
    extraHeaderPrefixes: lower(input.extraHeaderPrefixes?.length ? input.extraHeaderPrefixes : DEFAULT_EXTRA_HEADER_PREFIXES),
  };
}

/** kube-apiserver writes these keys as JSON arrays; a bare comma list is accepted too. */
function listValue(data: Readonly<Record<string, string>>, key: string): string[] | null {
  const raw = data[key];
  if (raw === undefined || raw.trim() === "") return null;
  if (raw.trim().startsWith("[")) {
    const parsed: unknown = JSON.parse(raw);
    if (!Array.isArray(parsed) || !parsed.every((v) => typeof v === "string")) {
      throw new Error(`extension-apiserver-authentication: ${key} is not a JSON array of strings`);
    }
    return parsed as string[];
  }
  return raw.split(",").map((s) => s.trim());
}

/** Settings from the ConfigMap's data; null when it has no requestheader CA. */
export function settingsFromConfigMap(data: Readonly<Record<string, string>>): RequestHeaderSettings | null {
  const ca = data["requestheader-client-ca-file"];
  if (!ca || ca.trim() === "") return null;
  return requestHeaderSettings({
    clientCAPem: ca,
    allowedNames: listValue(data, "requestheader-allowed-names"),
    usernameHeaders: listValue(data, "requestheader-username-headers"),
    groupHeaders: listValue(data, "requestheader-group-headers"),
    extraHeaderPrefixes: listValue(data, "requestheader-extra-headers-prefix"),
  });
}

export interface LoadedRequestHeader {
  readonly settings: RequestHeaderSettings | null;
  /** For the start-up log line. */
  readonly source: "flags" | "configmap" | "none";
  readonly note: string;
}

/**
 * Flags first; else the ConfigMap through `client` (null: no cluster). A
 * missing ConfigMap or key means no front proxy. A 403 is thrown: it is a
 * missing RoleBinding that the operator must fix, not a setting.
 */
export async function loadRequestHeaderSettings(flags: AuthnFlags, client: KubeClient | null): Promise<LoadedRequestHeader> {
  if (flags.requestheaderClientCAFile) {
    const settings = requestHeaderSettings({
      clientCAPem: readFileSync(flags.requestheaderClientCAFile, "utf8"),
      allowedNames: flags.requestheaderAllowedNames ?? null,
      usernameHeaders: flags.requestheaderUsernameHeaders ?? null,
      groupHeaders: flags.requestheaderGroupHeaders ?? null,
      extraHeaderPrefixes: flags.requestheaderExtraHeadersPrefix ?? null,
    });
    return { settings, source: "flags", note: `requestheader CA from ${flags.requestheaderClientCAFile}` };
  }
  if (!client)
    return { settings: null, source: "none", note: "no cluster and no --requestheader-client-ca-file: front-proxy authentication is off" };
  let body: { data?: Record<string, string> };
  try {
    body = await client.json<{ data?: Record<string, string> }>("GET", AUTH_CONFIGMAP_PATH);
  } catch (e) {
    if (isKubeApiError(e) && e.status === 404) {
      return {
        settings: null,
        source: "none",
        note: "kube-system/extension-apiserver-authentication not found: front-proxy authentication is off",
      };
    }
    throw e;
  }
  const settings = settingsFromConfigMap(body.data ?? {});
  return settings
    ? { settings, source: "configmap", note: "requestheader settings from kube-system/extension-apiserver-authentication" }
    : {
        settings: null,
        source: "none",
        note: "extension-apiserver-authentication has no requestheader-client-ca-file: front-proxy authentication is off",
      };
}

/** The client for TokenReviews or SubjectAccessReviews: its own kubeconfig if given, else the main client. */
export function delegationClient(kubeconfigPath: string | null | undefined, main: KubeClient | null): KubeClient | null {
  if (!kubeconfigPath) return main;
  const kc = new KubeConfig();
  kc.loadFromFile(kubeconfigPath);
  return new KubeClient(kc);
}
