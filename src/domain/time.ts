// Evaluation times ("at"): RFC 3339 or unix seconds, never in the future,
// never before the Unix epoch, and no older than the server's --max-at-age.

import { InvalidInputError } from "./errors.ts";
import { formatWindow, type Window } from "./window.ts";

const RFC3339 = /^\d{4}-\d{2}-\d{2}[Tt ]\d{2}:\d{2}:\d{2}(\.\d+)?([Zz]|[+-]\d{2}:\d{2})$/;
const UNIX = /^\d+(\.\d+)?$/;

/** Tolerance for clocks of client and server that disagree a little. */
const FUTURE_SLACK_MS = 5_000;

export function parseAt(text: string, now: Date, field = "at", maxAge?: Window): Date {
  let ms: number;
  if (UNIX.test(text)) ms = Number(text) * 1000;
  else if (RFC3339.test(text)) ms = Date.parse(text);
  else ms = Number.NaN;
  if (!Number.isFinite(ms)) {
    throw new InvalidInputError(field, `${field} ${JSON.stringify(text)} is neither an RFC 3339 time nor unix seconds`);
  }
  return checkAt(new Date(ms), now, field, maxAge);
}

export function checkAt(at: Date, now: Date, field = "at", maxAge?: Window): Date {
  if (!Number.isFinite(at.getTime())) throw new InvalidInputError(field, `${field} is not a valid time`);
  // No metrics backend holds samples before 1970; such a time is a client's mistake.
  if (at.getTime() < 0) throw new InvalidInputError(field, `${field} ${at.toISOString()} is before the Unix epoch`);
  if (maxAge && now.getTime() - at.getTime() > maxAge.seconds * 1000) {
    throw new InvalidInputError(field, `${field} ${at.toISOString()} is more than ${formatWindow(maxAge)} ago, the server's --max-at-age`);
  }
  if (at.getTime() > now.getTime() + FUTURE_SLACK_MS) {
    throw new InvalidInputError(field, `${field} ${at.toISOString()} is in the future`);
  }
  return at;
}
