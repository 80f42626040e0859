// Is the chosen mesh's data in the backend? A wrong --mesh otherwise answers
// empty lists and passes /readyz: warn at start-up and in /readyz?verbose.

import type { MeshName } from "../mesh/adapter.ts";
import { detectMeshes } from "../mesh/registry.ts";
import type { InstantQuerier } from "../prometheus/client.ts";
import type { ReadinessCheck } from "./health.ts";

/** Probes come every few seconds; the backend's series change far more slowly. */
const RECHECK_MS = 60_000;

/** A warning when the backend has no series of `mesh` (naming what it has), else null; null too when it cannot be asked. */
export async function meshWarning(mesh: MeshName, backend: InstantQuerier, at: Date): Promise<string | null> {
  let found: MeshName[];
  try {
    found = await detectMeshes(backend, at);
  } catch {
    return null; // the backend check says why
  }
  if (found.includes(mesh)) return null;
  const present =
    found.length > 0
      ? `it has ${found.join(", ")} series (start with --mesh ${found[0]} or --mesh auto)`
      : "it has no mesh series at all yet";
  return `warning: the backend has no ${mesh} series in the last 10 minutes; ${present}`;
}

/**
 * The "mesh" readiness check: always passes (an idle mesh is not an outage),
 * and says how the mesh was chosen and whether its series are there.
 */
export function meshReadiness(
  mesh: MeshName,
  reason: string,
  backend: InstantQuerier,
  clock: () => Date,
  initial: string | null,
): ReadinessCheck {
  let last = { at: Date.now(), warning: initial };
  return {
    name: "mesh",
    run: async () => {
      if (Date.now() - last.at > RECHECK_MS) last = { at: Date.now(), warning: await meshWarning(mesh, backend, clock()) };
      return last.warning ? `${mesh} (${reason}); ${last.warning}` : `${mesh} (${reason})`;
    },
  };
}
