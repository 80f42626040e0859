// How often a live subscription is evaluated. Nothing newer than a scrape
// exists, so evaluating more often than the scrape interval only repeats work.

import { InvalidInputError } from "../domain/errors.ts";
import { formatWindow, parseWindow, type Window } from "../domain/window.ts";

/** The `every` argument of a subscription; null: the scrape interval. Throws InvalidInputError below it. */
export function liveInterval(every: string | null | undefined, scrapeInterval: Window): Window {
  if (every == null) return scrapeInterval;
  const interval = parseWindow(every, "every");
  if (interval.seconds < scrapeInterval.seconds) {
    throw new InvalidInputError(
      "every",
      `every ${formatWindow(interval)} is shorter than the backend's scrape interval ${formatWindow(scrapeInterval)}: nothing ` +
        "newer exists in between",
    );
  }
  return interval;
}
