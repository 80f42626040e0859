// Kubernetes discovery documents for the group: what kubectl and the API
// aggregator read to learn which resources exist. Shapes and key order are
// those of metav1.APIResourceList, APIGroup and APIGroupList.
//
// Every SMI resource has kind TrafficMetrics and verbs get and list; each
// namespaced one also has an "<plural>/edges" subresource (verb get: RBAC
// sees GET on a named subresource as "get"), and so does namespaces.

import { GROUP, GROUP_VERSION, SERVED_KINDS, TRAFFIC_METRICS, VERSION } from "./api.ts";

export interface APIResource {
  readonly name: string;
  readonly singularName: string;
  readonly namespaced: boolean;
  readonly kind: string;
  readonly verbs: readonly string[];
}

export interface APIResourceList {
  readonly kind: "APIResourceList";
  readonly apiVersion: "v1";
  readonly groupVersion: string;
  readonly resources: readonly APIResource[];
}

export interface GroupVersionForDiscovery {
  readonly groupVersion: string;
  readonly version: string;
}

export interface APIGroup {
  readonly kind?: "APIGroup";
  readonly apiVersion?: "v1";
  readonly name: string;
  readonly versions: readonly GroupVersionForDiscovery[];
  readonly preferredVersion: GroupVersionForDiscovery;
}

export interface APIGroupList {
  readonly kind: "APIGroupList";
  readonly apiVersion: "v1";
  readonly groups: readonly APIGroup[];
}

export function apiResourceList(): APIResourceList {
  const resources: APIResource[] = [];
  for (const k of SERVED_KINDS) {
    resources.push({ name: k.plural, singularName: k.singular, namespaced: k.namespaced, kind: TRAFFIC_METRICS, verbs: ["get", "list"] });
    resources.push({ name: `${k.plural}/edges`, singularName: "", namespaced: k.namespaced, kind: TRAFFIC_METRICS, verbs: ["get"] });
  }
  // The API server lists resources sorted by name.
  resources.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  return { kind: "APIResourceList", apiVersion: "v1", groupVersion: GROUP_VERSION, resources };
}

const ONLY_VERSION: GroupVersionForDiscovery = { groupVersion: GROUP_VERSION, version: VERSION };

export function apiGroup(): APIGroup {
  return { kind: "APIGroup", apiVersion: "v1", name: GROUP, versions: [ONLY_VERSION], preferredVersion: ONLY_VERSION };
}

/** Groups inside a list carry no kind/apiVersion (empty TypeMeta is omitted). */
export function apiGroupList(): APIGroupList {
  return { kind: "APIGroupList", apiVersion: "v1", groups: [{ name: GROUP, versions: [ONLY_VERSION], preferredVersion: ONLY_VERSION }] };
}
