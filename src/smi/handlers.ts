// Executes one routed SMI request against the service. The service validates
// names, windows, times and selectors and batches the backend queries; this
// module only asks it, in the fewest calls, and shapes the answers.

import { NotFoundError } from "../domain/errors.ts";
import type { KindInfo } from "../domain/kinds.ts";
import { resourceRef } from "../domain/resource.ts";
import type { ResourceScope } from "../service/types.ts";
import { apiGroup, apiGroupList, apiResourceList } from "./discovery.ts";
import type { SmiParams } from "./params.ts";
import type { SmiRoute } from "./router.ts";
import { edgeList, edgeTrafficMetrics, resourceList, resourceTrafficMetrics } from "./shape.ts";

/** Documents that need no service: discovery. */
export function staticDocument(route: SmiRoute): object | null {
  switch (route.op) {
    case "groupList":
      return apiGroupList();
    case "group":
      return apiGroup();
    case "resourceList":
      return apiResourceList();
    default:
      return null;
  }
}

function notFound(kind: KindInfo, namespace: string | null, name: string): NotFoundError {
  const where = namespace === null ? "" : ` in namespace ${JSON.stringify(namespace)}`;
  return new NotFoundError(
    `${kind.plural} ${JSON.stringify(name)} not found${where}: no such ${kind.kubeKind} in the cluster and no traffic seen for it`,
  );
}

/** Answers a route that needs the service (staticDocument answers the others). */
export async function executeSmi(route: SmiRoute, params: SmiParams, scope: ResourceScope): Promise<object> {
  // Checks window and time before any lookup, so a bad one never costs a query.
  const q = scope.metricsQuery({ window: params.window, at: params.at }, { window: params.windowField, at: "at" });
  switch (route.op) {
    case "list": {
      const views = await scope.listResources(route.kind.kind, route.namespace, params.labelSelector);
      // One metrics() call per item; the service batches them into one query set.
      const metrics = await Promise.all(views.map((v) => scope.metrics(v.ref, q)));
      const items = views.map((v, i) => resourceTrafficMetrics(v.ref, metrics[i]!, scope.now));
      return resourceList(route.kind.plural, route.kind.kubeKind, route.kind.namespaced ? route.namespace : null, items);
    }
    case "get": {
      const view = await scope.getResource(route.kind.kind, route.namespace, route.name);
      if (!view) throw notFound(route.kind, route.namespace, route.name);
      return resourceTrafficMetrics(view.ref, await scope.metrics(view.ref, q), scope.now);
    }
    case "edges": {
      const view = await scope.getResource(route.kind.kind, route.namespace, route.name);
      // Without a cluster, "unknown" only means no traffic lately: its edges are a list,
      // empty unless the window says otherwise, as the reference answered (topology
      // walkers rely on it). A cluster's "no such resource" stays a 404.
      if (!view && scope.inventorySource === "kubernetes") throw notFound(route.kind, route.namespace, route.name);
      const ref = view?.ref ?? resourceRef(route.kind.kind, route.namespace, route.name);
      // The service orders edges, for both transports alike.
      const items = (await scope.edges(ref, q, null)).map((e) => edgeTrafficMetrics(e, scope.now));
      return edgeList(ref, items);
    }
    default:
      throw new Error(`unhandled SMI route ${route.op}`);
  }
}
