// Go's time.Duration text: what SMI clients send in `t` (the reference server
// read it with time.ParseDuration) and what the wire carries in `window`
// (metav1.Duration marshals Duration.String()). Exact: nanoseconds as bigint,
// and a fraction converted with the same float64 steps Go takes, so a value
// parses to the nanosecond Go would get.

import { InvalidInputError } from "./errors.ts";
import { windowOfSeconds, type Window } from "./window.ts";

const NS_PER_SECOND = 1_000_000_000n;
const MAX_DURATION = (1n << 63n) - 1n;
const OVERFLOW = 1n << 63n;

/** Go's units, in nanoseconds ("µs" is U+00B5, "μs" U+03BC). */
const GO_UNITS: ReadonlyMap<string, bigint> = new Map([
  ["ns", 1n],
  ["us", 1_000n],
  ["µs", 1_000n],
  ["μs", 1_000n],
  ["ms", 1_000_000n],
  ["s", NS_PER_SECOND],
  ["m", 60n * NS_PER_SECOND],
  ["h", 3600n * NS_PER_SECOND],
]);

/** meshql's extension for windows: Go has no day unit, meshql always accepted "2d". */
const WINDOW_UNITS: ReadonlyMap<string, bigint> = new Map([...GO_UNITS, ["d", 86_400n * NS_PER_SECOND]]);

export class GoDurationSyntaxError extends Error {
  override readonly name = "GoDurationSyntaxError";
}

/** Leading digits as Go's leadingInt reads them; null on overflow past 2^63. */
function leadingInt(s: string): { value: bigint; rest: string } | null {
  let i = 0;
  let x = 0n;
  for (; i < s.length && s[i]! >= "0" && s[i]! <= "9"; i++) {
    if (x > OVERFLOW / 10n) return null;
    x = x * 10n + BigInt(s.charCodeAt(i) - 48);
    if (x > OVERFLOW) return null;
  }
  return { value: x, rest: s.slice(i) };
}

/** Fraction digits as Go's leadingFraction: past int64, further digits are dropped. */
function leadingFraction(s: string): { value: bigint; scale: number; rest: string } {
  let i = 0;
  let x = 0n;
  let scale = 1;
  let overflow = false;
  for (; i < s.length && s[i]! >= "0" && s[i]! <= "9"; i++) {
    if (overflow) continue;
    if (x > MAX_DURATION / 10n) {
      overflow = true;
      continue;
    }
    const y = x * 10n + BigInt(s.charCodeAt(i) - 48);
    if (y > OVERFLOW) {
      overflow = true;
      continue;
    }
    x = y;
    scale *= 10;
  }
  return { value: x, scale, rest: s.slice(i) };
}

/**
 * time.ParseDuration: a signed sequence of decimal numbers, each with an
 * optional fraction and a unit ("300ms", "-1.5h", "2h45m", "1h0m0s"), or "0".
 * Returns nanoseconds; throws GoDurationSyntaxError with Go's reason.
 */
export function parseGoDuration(text: string, units: ReadonlyMap<string, bigint> = GO_UNITS): bigint {
  const invalid = (): never => {
    throw new GoDurationSyntaxError(`invalid duration ${JSON.stringify(text)}`);
  };
  let s = text;
  let neg = false;
  if (s !== "" && (s[0] === "-" || s[0] === "+")) {
    neg = s[0] === "-";
    s = s.slice(1);
  }
  if (s === "0") return 0n;
  if (s === "") invalid();
  let total = 0n;
  while (s !== "") {
    if (!(s[0] === "." || (s[0]! >= "0" && s[0]! <= "9"))) invalid();
    const int = leadingInt(s) ?? invalid();
    const pre = int.rest.length !== s.length;
    s = int.rest;
    let frac = { value: 0n, scale: 1, rest: s };
    let post = false;
    if (s.startsWith(".")) {
      frac = leadingFraction(s.slice(1));
      post = frac.rest.length !== s.length - 1;
      s = frac.rest;
    }
    if (!pre && !post) invalid();
    let i = 0;
    while (i < s.length && s[i] !== "." && !(s[i]! >= "0" && s[i]! <= "9")) i++;
    if (i === 0) throw new GoDurationSyntaxError(`missing unit in duration ${JSON.stringify(text)}`);
    const unitName = s.slice(0, i);
    s = s.slice(i);
    const unit = units.get(unitName);
    if (unit === undefined) throw new GoDurationSyntaxError(`unknown unit ${JSON.stringify(unitName)} in duration ${JSON.stringify(text)}`);
    if (int.value > OVERFLOW / unit) invalid();
    let v = int.value * unit;
    if (frac.value > 0n) {
      // Go computes the fraction in float64 and truncates: the same steps here.
      v += BigInt(Math.trunc(Number(frac.value) * (Number(unit) / frac.scale)));
      if (v > OVERFLOW) invalid();
    }
    total += v;
    if (total > OVERFLOW) invalid();
  }
  if (neg) return -total;
  if (total > MAX_DURATION) invalid();
  return total;
}

/** Digits of v / 10^prec after the point, trailing zeros dropped (Go's fmtFrac). */
function fraction(v: bigint, prec: number): { text: string; rest: bigint } {
  const div = 10n ** BigInt(prec);
  const digits = (v % div).toString().padStart(prec, "0").replace(/0+$/, "");
  return { text: digits === "" ? "" : `.${digits}`, rest: v / div };
}

/** time.Duration.String(): "72h3m0.5s", "1m30s", "1.5ms", "0s". */
export function formatGoDuration(ns: bigint): string {
  const neg = ns < 0n;
  const u = neg ? -ns : ns;
  let out: string;
  if (u === 0n) out = "0s";
  else if (u < NS_PER_SECOND) {
    const [prec, unit] = u < 1_000n ? [0, "ns"] : u < 1_000_000n ? [3, "µs"] : [6, "ms"];
    const f = fraction(u, prec);
    out = `${f.rest}${f.text}${unit}`;
  } else {
    const f = fraction(u, 9);
    const secs = f.rest;
    const minutes = secs / 60n;
    const hours = minutes / 60n;
    out = `${secs % 60n}${f.text}s`;
    if (minutes > 0n) out = `${hours > 0n ? `${hours}h` : ""}${minutes % 60n}m${out}`;
  }
  return neg ? `-${out}` : out;
}

/** A window as the wire's `window` field prints it: "30s", "1m30s", "1h0m0s". */
export function formatWindowAsGo(w: Window): string {
  return formatGoDuration(BigInt(w.seconds) * NS_PER_SECOND);
}

/**
 * A metric window from Go duration text (plus meshql's "d"): positive, whole
 * seconds (Prometheus ranges here are in seconds), at most 30 days. Throws
 * InvalidInputError naming `field`. The lower bound depends on the backend and
 * is the service's to check.
 */
export function parseGoWindow(text: string, field = "window"): Window {
  let ns: bigint;
  try {
    ns = parseGoDuration(text, WINDOW_UNITS);
  } catch (e) {
    if (!(e instanceof GoDurationSyntaxError)) throw e;
    throw new InvalidInputError(
      field,
      `${field} ${JSON.stringify(text)} is not a duration (${e.message}): use Go's duration syntax, e.g. "30s", "1.5m", ` +
        `"90000ms", "1h0m0s"`,
    );
  }
  if (ns <= 0n) throw new InvalidInputError(field, `${field} ${JSON.stringify(text)} must be positive`);
  if (ns % NS_PER_SECOND !== 0n) {
    throw new InvalidInputError(field, `${field} ${JSON.stringify(text)} is not a whole number of seconds (${formatGoDuration(ns)})`);
  }
  const seconds = ns / NS_PER_SECOND;
  // Past 30 days windowOfSeconds refuses; keep huge values out of Number first.
  return windowOfSeconds(seconds > 1_000_000_000n ? Number.MAX_SAFE_INTEGER : Number(seconds), field, text);
}
