// OpenAPI documents of the SMI API: Swagger 2.0 at /openapi/v2 and OpenAPI 3
// at /openapi/v3/apis/metrics.smi-spec.io/v1alpha1, with the v3 discovery
// index at /openapi/v3. The kube-aggregator fetches both from an aggregated
// API server to publish its paths and schemas; kubectl explain reads them.
// Both are built from one list of operations so they cannot disagree.

import { createHash } from "node:crypto";
import { BASE_PATH, GROUP, GROUP_VERSION, SERVED_KINDS, TRAFFIC_METRICS, TRAFFIC_METRICS_LIST, VERSION } from "./api.ts";
import { goJson } from "./json.ts";

type Json = null | boolean | number | string | Json[] | { [key: string]: Json };
type JsonObject = { [key: string]: Json };

/** Kubernetes names definitions by reversed group: io.smi-spec.metrics.v1alpha1.X */
const DEF_PREFIX = `${GROUP.split(".").reverse().join(".")}.${VERSION}`;
const DEF = {
  metrics: `${DEF_PREFIX}.${TRAFFIC_METRICS}`,
  list: `${DEF_PREFIX}.${TRAFFIC_METRICS_LIST}`,
  metric: `${DEF_PREFIX}.Metric`,
  edge: `${DEF_PREFIX}.Edge`,
  ref: `${DEF_PREFIX}.ObjectReference`,
  meta: `${DEF_PREFIX}.ObjectMeta`,
  listMeta: `${DEF_PREFIX}.ListMeta`,
  status: "io.k8s.apimachinery.pkg.apis.meta.v1.Status",
  resourceList: "io.k8s.apimachinery.pkg.apis.meta.v1.APIResourceList",
} as const;

interface Param {
  readonly name: string;
  readonly in: "path" | "query";
  readonly description: string;
}

interface Operation {
  readonly path: string;
  readonly id: string;
  readonly action: "get" | "list";
  readonly description: string;
  readonly params: readonly Param[];
  readonly returns: string;
}

const NAME: Param = { name: "name", in: "path", description: "name of the resource" };
const NAMESPACE: Param = { name: "namespace", in: "path", description: "object name and auth scope, such as for teams and projects" };
const WINDOW: Param = {
  name: "window",
  in: "query",
  description:
    'width of the metrics window in Go\'s duration syntax ("30s", "1.5m", "90000ms", "1h0m0s"), whole seconds; default from the ' +
    "server configuration",
};
const T: Param = { name: "t", in: "query", description: "alias of window, as the SMI reference server named it; empty means the default" };
const AT: Param = { name: "at", in: "query", description: "end of the window, RFC 3339 or unix seconds; default now" };
const SELECTOR: Param = {
  name: "labelSelector",
  in: "query",
  description: "kubectl label selector; filters which items appear, not the metrics (needs a cluster connection)",
};

function operations(): Operation[] {
  const ops: Operation[] = [
    {
      path: `${BASE_PATH}/`,
      id: "getMetricsSmiSpecIoV1alpha1APIResources",
      action: "get",
      description: "get available resources",
      params: [],
      returns: DEF.resourceList,
    },
  ];
  const win = [WINDOW, T, AT];
  for (const k of SERVED_KINDS) {
    const K = k.kubeKind;
    if (k.namespaced) {
      ops.push(
        {
          path: `${BASE_PATH}/${k.plural}`,
          id: `listMetricsSmiSpecIoV1alpha1${K}ForAllNamespaces`,
          action: "list",
          description: `traffic metrics of every ${K} in all namespaces`,
          params: [...win, SELECTOR],
          returns: DEF.list,
        },
        {
          path: `${BASE_PATH}/namespaces/{namespace}/${k.plural}`,
          id: `listMetricsSmiSpecIoV1alpha1Namespaced${K}`,
          action: "list",
          description: `traffic metrics of every ${K} in a namespace`,
          params: [NAMESPACE, ...win, SELECTOR],
          returns: DEF.list,
        },
        {
          path: `${BASE_PATH}/namespaces/{namespace}/${k.plural}/{name}`,
          id: `readMetricsSmiSpecIoV1alpha1Namespaced${K}`,
          action: "get",
          description: `traffic metrics of one ${K}: all the traffic it received`,
          params: [NAMESPACE, NAME, ...win],
          returns: DEF.metrics,
        },
        {
          path: `${BASE_PATH}/namespaces/{namespace}/${k.plural}/{name}/edges`,
          id: `readMetricsSmiSpecIoV1alpha1Namespaced${K}Edges`,
          action: "get",
          description: `traffic metrics of each peer that exchanged traffic with one ${K}; peers may live in any namespace`,
          params: [NAMESPACE, NAME, ...win],
          returns: DEF.list,
        },
      );
    } else {
      ops.push(
        {
          path: `${BASE_PATH}/${k.plural}`,
          id: `listMetricsSmiSpecIoV1alpha1${K}`,
          action: "list",
          description: `traffic metrics of every ${K}`,
          params: [...win, SELECTOR],
          returns: DEF.list,
        },
        {
          path: `${BASE_PATH}/${k.plural}/{name}`,
          id: `readMetricsSmiSpecIoV1alpha1${K}`,
          action: "get",
          description: `traffic metrics of one ${K}`,
          params: [NAME, ...win],
          returns: DEF.metrics,
        },
        {
          path: `${BASE_PATH}/${k.plural}/{name}/edges`,
          id: `readMetricsSmiSpecIoV1alpha1${K}Edges`,
          action: "get",
          description: `traffic metrics of each peer that exchanged traffic with one ${K}`,
          params: [NAME, ...win],
          returns: DEF.list,
        },
      );
    }
  }
  return ops;
}

const GVK = (kind: string): Json => [{ group: GROUP, kind, version: VERSION }];

/** Schemas in OpenAPI 3 / JSON-schema form; refs are rewritten for v2. */
function schemas(ref: (name: string) => string): Record<string, JsonObject> {
  const str = (description: string): JsonObject => ({ type: "string", description });
  return {
    [DEF.ref]: {
      description: "the Kubernetes object the metrics belong to (ObjectReference)",
      type: "object",
      properties: {
        kind: str("Kubernetes kind, e.g. Deployment"),
        namespace: str("left out for namespaces"),
        name: str("left out in a list's resource"),
      },
    },
    [DEF.meta]: {
      type: "object",
      properties: {
        name: str("name of the resource"),
        namespace: str("namespace of the resource; left out for namespaces"),
        selfLink: str("path that serves this object"),
        creationTimestamp: { type: "string", format: "date-time", description: "when the object was computed (the request's moment)" },
      },
    },
    [DEF.listMeta]: { type: "object", properties: { selfLink: str("path that serves this list") } },
    [DEF.edge]: {
      type: "object",
      required: ["direction", "resource"],
      properties: {
        direction: {
          type: "string",
          enum: ["from", "to"],
          description: "from: the peer called the resource; to: the resource called the peer",
        },
        resource: {
          ...{ $ref: ref(DEF.ref) },
          description: "the peer; null for a resource's own metrics (all traffic it received)",
        } as JsonObject,
      },
    },
    [DEF.metric]: {
      type: "object",
      required: ["name", "value"],
      properties: {
        name: {
          type: "string",
          enum: ["p99_response_latency", "p90_response_latency", "p50_response_latency", "success_count", "failure_count"],
        },
        unit: { type: "string", enum: ["ms"], description: "set on latencies only" },
        value: {
          type: "string",
          description:
            'Kubernetes Quantity in canonical form, cut to milli units; its suffix multiplies the unit ("9m" with unit ms is 0.009 ms)',
        },
      },
    },
    [DEF.metrics]: {
      description:
        "golden metrics of one resource, or of one edge of it, over a window. All five metrics, always, in the order " +
        'p99, p90, p50, success_count, failure_count; with no traffic a latency is "0" and success_count + failure_count = 0 ' +
        "says there was no data.",
      type: "object",
      required: ["kind", "apiVersion", "metadata", "timestamp", "window", "resource", "edge", "metrics"],
      properties: {
        kind: str("TrafficMetrics"),
        apiVersion: str(GROUP_VERSION),
        metadata: { $ref: ref(DEF.meta) },
        timestamp: { type: "string", format: "date-time", description: "end of the window" },
        window: str('width of the window as Go prints a duration, e.g. "30s", "1m30s", "1h0m0s"'),
        resource: { $ref: ref(DEF.ref) },
        edge: { $ref: ref(DEF.edge) },
        metrics: { type: "array", items: { $ref: ref(DEF.metric) } },
      },
      "x-kubernetes-group-version-kind": GVK(TRAFFIC_METRICS),
    },
    [DEF.list]: {
      type: "object",
      required: ["kind", "apiVersion", "metadata", "resource", "items"],
      properties: {
        kind: str("TrafficMetricsList"),
        apiVersion: str(GROUP_VERSION),
        metadata: { $ref: ref(DEF.listMeta) },
        resource: { $ref: ref(DEF.ref) },
        items: { type: "array", items: { $ref: ref(DEF.metrics) } },
      },
      "x-kubernetes-group-version-kind": GVK(TRAFFIC_METRICS_LIST),
    },
    [DEF.status]: {
      description: "Status is a return value for calls that don't return other objects.",
      type: "object",
      properties: {
        kind: str("Status"),
        apiVersion: str("v1"),
        metadata: { type: "object" },
        status: str("Failure"),
        message: str("human-readable description"),
        reason: str("machine-readable reason, e.g. BadRequest, NotFound"),
        details: { type: "object" },
        code: { type: "integer", format: "int32" },
      },
      "x-kubernetes-group-version-kind": [{ group: "", kind: "Status", version: "v1" }],
    },
    [DEF.resourceList]: {
      type: "object",
      required: ["groupVersion", "resources"],
      properties: {
        kind: str("APIResourceList"),
        apiVersion: str("v1"),
        groupVersion: str(GROUP_VERSION),
        resources: { type: "array", items: { type: "object" } },
      },
    },
  };
}

const ERRORS: ReadonlyArray<[string, string]> = [
  ["400", "BadRequest: an invalid name, window, time or selector"],
  ["401", "Unauthorized"],
  ["403", "Forbidden"],
  ["404", "NotFound"],
  ["503", "ServiceUnavailable: the metrics backend did not answer"],
];

/** Swagger 2.0, as served at /openapi/v2. */
export function openApiV2(): JsonObject {
  const ref = (name: string): string => `#/definitions/${name}`;
  const paths: JsonObject = {};
  for (const op of operations()) {
    const responses: JsonObject = { "200": { description: "OK", schema: { $ref: ref(op.returns) } } };
    for (const [code, description] of ERRORS) responses[code] = { description, schema: { $ref: ref(DEF.status) } };
    paths[op.path] = {
      get: {
        description: op.description,
        operationId: op.id,
        produces: ["application/json"],
        schemes: ["https"],
        tags: [`metricsSmiSpecIo_${VERSION}`],
        parameters: op.params.map((p) => ({
          name: p.name,
          in: p.in,
          description: p.description,
          type: "string",
          uniqueItems: true,
          ...(p.in === "path" ? { required: true } : {}),
        })),
        responses,
        "x-kubernetes-action": op.action,
        "x-kubernetes-group-version-kind": { group: GROUP, kind: TRAFFIC_METRICS, version: VERSION },
      },
    };
  }
  return {
    swagger: "2.0",
    info: { title: "meshql: SMI Traffic Metrics", version: VERSION },
    paths,
    definitions: schemas(ref),
  };
}

/** OpenAPI 3.0 for the group version, as served at /openapi/v3/apis/<group>/<version>. */
export function openApiV3(): JsonObject {
  const ref = (name: string): string => `#/components/schemas/${name}`;
  const paths: JsonObject = {};
  for (const op of operations()) {
    const responses: JsonObject = { "200": { description: "OK", content: { "application/json": { schema: { $ref: ref(op.returns) } } } } };
    for (const [code, description] of ERRORS)
      responses[code] = { description, content: { "application/json": { schema: { $ref: ref(DEF.status) } } } };
    paths[op.path] = {
      get: {
        description: op.description,
        operationId: op.id,
        tags: [`metricsSmiSpecIo_${VERSION}`],
        parameters: op.params.map((p) => ({
          name: p.name,
          in: p.in,
          description: p.description,
          schema: { type: "string", uniqueItems: true },
          ...(p.in === "path" ? { required: true } : {}),
        })),
        responses,
        "x-kubernetes-action": op.action,
        "x-kubernetes-group-version-kind": { group: GROUP, kind: TRAFFIC_METRICS, version: VERSION },
      },
    };
  }
  return {
    openapi: "3.0.0",
    info: { title: "meshql: SMI Traffic Metrics", version: VERSION },
    paths,
    components: { schemas: schemas(ref) },
  };
}

/** Relative path of the group-version document, as listed by the v3 index. */
export const OPENAPI_V3_GV_PATH = `apis/${GROUP_VERSION}`;

export interface OpenApiDocs {
  readonly v2: string;
  readonly v3: string;
  readonly v3Index: string;
  /** Upper-case hex SHA-512 of v3, the `hash` the index links with (clients cache by it). */
  readonly v3Hash: string;
}

/** Serialized once: the documents never change while the process runs. */
export function openApiDocs(): OpenApiDocs {
  const v2 = goJson(openApiV2());
  const v3 = goJson(openApiV3());
  const v3Hash = createHash("sha512").update(v3).digest("hex").toUpperCase();
  const v3Index = goJson({ paths: { [OPENAPI_V3_GV_PATH]: { serverRelativeURL: `/openapi/v3/${OPENAPI_V3_GV_PATH}?hash=${v3Hash}` } } });
  return { v2, v3, v3Index, v3Hash };
}
