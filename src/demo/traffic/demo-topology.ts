// What `meshql demo` runs: emojivoto and the storefront, which calls into it.

import { emojivoto } from "./emojivoto.ts";
import type { TopologySpec } from "./model.ts";
import { storefront } from "./storefront.ts";

export const demoTopology: TopologySpec = {
  workloads: [...emojivoto.workloads, ...storefront.workloads],
  edges: [...emojivoto.edges, ...storefront.edges],
};
