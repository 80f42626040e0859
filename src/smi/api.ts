// Names of the SMI Traffic Metrics API group, shared by routing, shaping,
// discovery and the OpenAPI documents.

import { SMI_GROUP, SMI_VERSION } from "../domain/api-group.ts";
import { KIND_INFO, RESOURCE_KINDS, type KindInfo } from "../domain/kinds.ts";

export const GROUP = SMI_GROUP;
export const VERSION = SMI_VERSION;
export const GROUP_VERSION = `${GROUP}/${VERSION}`;
/** Every SMI path starts here (no trailing slash). */
export const BASE_PATH = `/apis/${GROUP_VERSION}`;

export const TRAFFIC_METRICS = "TrafficMetrics";
export const TRAFFIC_METRICS_LIST = "TrafficMetricsList";

/** The kinds served, in the order discovery lists them. */
export const SERVED_KINDS: readonly KindInfo[] = RESOURCE_KINDS.map((k) => KIND_INFO[k]);
