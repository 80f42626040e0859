// Names of the SMI Traffic Metrics API group, shared by routing, shaping,
// discovery and the OpenAPI documents.

import { KIND_INFO, RESOURCE_KINDS, type KindInfo } from "../domain/kinds.ts";

export const GROUP = "metrics.smi-spec.io";
export const VERSION = "v1alpha1";
export const GROUP_VERSION = `${GROUP}/${VERSION}`;
/** Every SMI path starts here (no trailing slash). */
export const BASE_PATH = `/apis/${GROUP_VERSION}`;

export const TRAFFIC_METRICS = "TrafficMetrics";
export const TRAFFIC_METRICS_LIST = "TrafficMetricsList";

/** The kinds served, in the order discovery lists them. */
export const SERVED_KINDS: readonly KindInfo[] = RESOURCE_KINDS.map((k) => KIND_INFO[k]);
