// Which resources exist. Without a cluster, the backend's traffic is the only
// witness (BackendInventory); src/kube adds a Kubernetes-backed one.

import type { ResourceKind } from "../domain/kinds.ts";
import type { ResourceRef } from "../domain/resource.ts";
import type { LabelSelector } from "../domain/selector.ts";

export interface PodCounts {
  readonly meshed: number;
  readonly total: number;
}

export interface InventoryItem {
  readonly ref: ResourceRef;
  /** null when the inventory does not know labels (no cluster). */
  readonly labels: Readonly<Record<string, string>> | null;
  /** null when the inventory does not know pods (no cluster). */
  readonly pods: PodCounts | null;
  /**
   * true: exists in the cluster. false: has traffic but is gone from the cluster.
   * null: no cluster to ask.
   */
  readonly inCluster: boolean | null;
}

export interface InventoryScope {
  readonly kind: ResourceKind;
  /** null: all namespaces */
  readonly namespace: string | null;
  readonly selector: LabelSelector | null;
}

export interface Inventory {
  /** "kubernetes" when a cluster is the source of truth, "backend" otherwise. */
  readonly source: "backend" | "kubernetes";
  /** Resources that exist, joined with those the backend has seen traffic for. */
  list(scope: InventoryScope, seen: readonly ResourceRef[]): InventoryItem[];
  /** Whether the resource is known, given what the backend has seen. */
  get(ref: ResourceRef, seen: readonly ResourceRef[]): InventoryItem | null;
}
