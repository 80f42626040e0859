// Query parameters of SMI requests. `window` and its alias `t` (the reference
// server's name) take Go's duration syntax, as the reference read `t` with
// time.ParseDuration: "1.5m", "90000ms", "1h0m0s". An empty `t` is no `t`: the
// default window, as the reference answered it. Strict otherwise: a parameter
// given twice, a bad value, or `window` and `t` naming different durations is
// a 400, never a silent choice. The service checks the window against the
// backend's scrape interval. Unknown parameters are ignored, as the API server
// ignores them (kubectl adds some of its own, e.g. timeout).

import { InvalidInputError } from "../domain/errors.ts";
import { parseGoWindow } from "../domain/go-duration.ts";
import type { Window } from "../domain/window.ts";

export interface SmiParams {
  /** null: the configured default. */
  readonly window: Window | null;
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
  const windowText = search.get("window");
  const tText = search.get("t") || null;
  const window = windowText === null ? null : parseGoWindow(windowText, "window");
  const t = tText === null ? null : parseGoWindow(tText, "t");
  if (window !== null && t !== null && window.seconds !== t.seconds) {
    throw new InvalidInputError(
      "window",
      `window ${JSON.stringify(windowText)} and its alias t ${JSON.stringify(tText)} disagree: give one`,
    );
  }
  return {
    window: window ?? t,
    windowField: window === null && t !== null ? "t" : "window",
    at: search.get("at"),
    labelSelector: search.get("labelSelector"),
  };
}
