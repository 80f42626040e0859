// Query parameters of SMI requests. Strict: a parameter given twice, or both
// `window` and its alias `t` with different values, is a 400, never a silent
// choice. The values themselves are checked by the service (metricsQuery).
// Unknown parameters are ignored, as the API server ignores them (kubectl
// adds some of its own, e.g. timeout).

import { InvalidInputError } from "../domain/errors.ts";

export interface SmiParams {
  readonly window: string | null;
  /** Which parameter the window came from, for error messages. */
  readonly windowField: "window" | "t";
  readonly at: string | null;
  readonly labelSelector: string | null;
}

const KNOWN = ["window", "t", "at", "labelSelector"] as const;

export function parseSmiParams(rawQuery: string): SmiParams {
  const search = new URLSearchParams(rawQuery);
  for (const key of KNOWN) {
    if (search.getAll(key).length > 1) throw new InvalidInputError(key, `${key} is given more than once`);
  }
  const window = search.get("window");
  const t = search.get("t");
  if (window !== null && t !== null && window !== t) {
    throw new InvalidInputError("window", `window ${JSON.stringify(window)} and its alias t ${JSON.stringify(t)} disagree: give one`);
  }
  return {
    window: window ?? t,
    windowField: window === null && t !== null ? "t" : "window",
    at: search.get("at"),
    labelSelector: search.get("labelSelector"),
  };
}
