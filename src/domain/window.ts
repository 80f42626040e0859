// Metric windows: "30s", "5m", "1h30m". Whole seconds only; Prometheus and
// SMI clients both speak in seconds, and sub-second windows carry no data.

import { InvalidInputError } from "./errors.ts";

export const MAX_WINDOW_SECONDS = 30 * 24 * 3600;

export interface Window {
  readonly seconds: number;
}

const UNIT_SECONDS: Readonly<Record<string, number>> = { d: 86400, h: 3600, m: 60, s: 1 };
const DURATION = /^(?:(\d+)d)?(?:(\d+)h)?(?:(\d+)m)?(?:(\d+)s)?$/;

/**
 * Parses a duration of days, hours, minutes and seconds, largest unit first
 * ("1h30m", "90s", "2d"). Go's "5m0s" form, which SMI clients echo back, is accepted.
 */
export function parseWindow(text: string, field = "window"): Window {
  const match = DURATION.exec(text.trim());
  if (text.trim() === "" || !match) {
    throw new InvalidInputError(
      field,
      `${field} ${JSON.stringify(text)} is not a duration: use whole units, largest first, e.g. "30s", "5m", "1h30m"`,
    );
  }
  const [, d, h, m, s] = match;
  const seconds = Number(d ?? 0) * UNIT_SECONDS.d! + Number(h ?? 0) * UNIT_SECONDS.h! + Number(m ?? 0) * UNIT_SECONDS.m! + Number(s ?? 0);
  return windowOfSeconds(seconds, field, text);
}

export function windowOfSeconds(seconds: number, field = "window", shown: string = `${seconds}s`): Window {
  if (!Number.isSafeInteger(seconds) || seconds <= 0) {
    throw new InvalidInputError(field, `${field} ${JSON.stringify(shown)} must be positive`);
  }
  if (seconds > MAX_WINDOW_SECONDS) {
    throw new InvalidInputError(field, `${field} ${JSON.stringify(shown)} is longer than the 30 day maximum`);
  }
  return { seconds };
}

/** Compact canonical form: "30s", "1m", "1h30m", "2d". */
export function formatWindow(w: Window): string {
  let rest = w.seconds;
  let out = "";
  for (const [unit, size] of Object.entries(UNIT_SECONDS)) {
    const n = Math.floor(rest / size);
    if (n > 0) out += `${n}${unit}`;
    rest -= n * size;
  }
  return out;
}

/** The PromQL range for this window. */
export function promRange(w: Window): string {
  return `${w.seconds}s`;
}
