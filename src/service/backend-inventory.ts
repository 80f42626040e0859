// The inventory without a cluster: a resource exists if the backend has seen
// traffic for it within the lookback. Idle resources cannot be known this way.

import { sameRef, type ResourceRef } from "../domain/resource.ts";
import type { Inventory, InventoryItem, InventoryScope } from "./inventory.ts";

const item = (ref: ResourceRef): InventoryItem => ({ ref, labels: null, pods: null, inCluster: null });

export class BackendInventory implements Inventory {
  readonly source = "backend" as const;

  list(scope: InventoryScope, seen: readonly ResourceRef[]): InventoryItem[] {
    return seen.filter((r) => r.kind === scope.kind && (scope.namespace === null || r.namespace === scope.namespace)).map(item);
  }

  get(ref: ResourceRef, seen: readonly ResourceRef[]): InventoryItem | null {
    return seen.some((r) => sameRef(r, ref)) ? item(ref) : null;
  }
}
