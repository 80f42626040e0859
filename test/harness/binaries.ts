// Where the real Prometheus binaries are, with an error that says how to get them.

import { accessSync, constants } from "node:fs";
import { delimiter, join } from "node:path";

const INSTALL_HINT = "install them with `apt-get install prometheus` (Debian ships prometheus and promtool 2.42)";

/** Resolves a binary from an env override (e.g. PROMTOOL), /usr/bin or PATH; throws with an install hint. */
export function findBinary(name: "prometheus" | "promtool"): string {
  const override = process.env[name.toUpperCase()];
  const candidates = override ? [override] : [join("/usr/bin", name), ...(process.env.PATH ?? "").split(delimiter).filter(Boolean).map((d) => join(d, name))];
  for (const path of candidates) {
    try {
      accessSync(path, constants.X_OK);
      return path;
    } catch {
      // try the next one
    }
  }
  throw new Error(`${name} was not found (looked in ${candidates.join(", ")}): ${INSTALL_HINT}`);
}
