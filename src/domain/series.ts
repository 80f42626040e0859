// Time series of the golden metrics: which points a `series` field covers.
// Each point is the metrics over `window` ending at that point; points are
// `step` apart, aligned to multiples of `step` (as Grafana does) so that
// repeated dashboards ask identical questions, and cover `range` ending at `at`.

import { InvalidInputError } from "./errors.ts";
import { formatWindow, type Window } from "./window.ts";

/** Enough points for a readable chart: the default step aims for about this many. */
export const DEFAULT_POINTS = 60;
/** More points than a chart can show cost the backend for nothing. */
export const MAX_POINTS = 1000;

export interface SeriesRequest {
  readonly window: Window;
  readonly range: Window;
  /** null: about DEFAULT_POINTS points, never below the scrape interval. */
  readonly step: Window | null;
  readonly at: Date;
  readonly scrapeInterval: Window;
}

/** The evaluation times of a series: `count` points, the last at `end`. */
export interface SeriesSteps {
  readonly window: Window;
  readonly start: Date;
  readonly end: Date;
  readonly stepSeconds: number;
  readonly count: number;
}

export function seriesSteps(r: SeriesRequest): SeriesSteps {
  const scrape = r.scrapeInterval.seconds;
  const stepSeconds = r.step?.seconds ?? Math.max(scrape, Math.ceil(r.range.seconds / DEFAULT_POINTS / scrape) * scrape);
  if (stepSeconds < scrape) {
    throw new InvalidInputError(
      "step",
      `step ${formatWindow({ seconds: stepSeconds })} is shorter than the backend's scrape interval ${formatWindow(r.scrapeInterval)}`,
    );
  }
  if (stepSeconds > r.range.seconds) {
    throw new InvalidInputError("step", `step ${formatWindow({ seconds: stepSeconds })} is longer than range ${formatWindow(r.range)}`);
  }
  const count = Math.floor(r.range.seconds / stepSeconds);
  if (count > MAX_POINTS) {
    throw new InvalidInputError(
      "step",
      `range ${formatWindow(r.range)} at step ${formatWindow({ seconds: stepSeconds })} is ${count} points; at most ` +
        `${MAX_POINTS} are allowed: widen step or shorten range`,
    );
  }
  const stepMs = stepSeconds * 1000;
  const end = Math.floor(r.at.getTime() / stepMs) * stepMs;
  return { window: r.window, start: new Date(end - (count - 1) * stepMs), end: new Date(end), stepSeconds, count };
}
