// Kubernetes resource.Quantity strings, as the SMI Traffic Metrics API carries
// every metric value. Exact decimal arithmetic throughout (bigint mantissa and
// a base-10 exponent): a Quantity exists so that numbers are never floats on
// the wire, and a float-based formatter would leak 0.30000000000000004-style
// noise into it.
//
// Rules followed (apimachinery pkg/api/resource, CanonicalizeBytes for DecimalSI):
// - zero is "0";
// - a value more precise than 1n is rounded up, away from zero, to nano, as
//   ParseQuantity does ("if you want some resources, you should get some");
// - canonical form: no precision lost, no fractional digits, the largest
//   suffix of n u m "" k M G T P E whose exponent is a multiple of 3;
// - above E (10^18) Kubernetes used to drop the magnitude ("1e21" came out as
//   "1"); the fix merged upstream (kubernetes#140459) falls back to the
//   decimal-exponent form, e.g. "1e21". We emit that: never a wrong number.
// The serializer always emits DecimalSI. Kubernetes remembers a parsed
// value's format ("1Ki" stays "1Ki"); metric values never have one, so
// "1Ki" parses to 1024 and re-emits as "1024".

import { InvalidInputError } from "./errors.ts";

/** An exact decimal: mantissa × 10^exponent. */
export interface Decimal {
  readonly mantissa: bigint;
  readonly exponent: number;
}

const NANO_EXPONENT = -9;
const MAX_INT64 = (1n << 63n) - 1n;

const DECIMAL_SUFFIXES: ReadonlyArray<readonly [string, number]> = [
  ["n", -9],
  ["u", -6],
  ["m", -3],
  ["", 0],
  ["k", 3],
  ["M", 6],
  ["G", 9],
  ["T", 12],
  ["P", 15],
  ["E", 18],
];
const BINARY_SUFFIXES: ReadonlyArray<readonly [string, number]> = [
  ["Ki", 10],
  ["Mi", 20],
  ["Gi", 30],
  ["Ti", 40],
  ["Pi", 50],
  ["Ei", 60],
];
const SUFFIX_BY_EXPONENT = new Map(DECIMAL_SUFFIXES.map(([s, e]) => [e, s]));
const DECIMAL_BY_SUFFIX = new Map(DECIMAL_SUFFIXES);
const BINARY_BY_SUFFIX = new Map(BINARY_SUFFIXES);

/**
 * Significant digits kept from a non-integral double. A double's shortest
 * decimal form has up to 17 digits, the last ones being binary noise
 * (0.1 + 0.2 = 0.30000000000000004); 15 digits always survive the
 * decimal → double → decimal trip, so keeping 15 removes the noise and
 * nothing the source value ever meant.
 */
const DOUBLE_DIGITS = 15;

const pow10 = (n: number): bigint => 10n ** BigInt(n);
const abs = (n: bigint): bigint => (n < 0n ? -n : n);

/** Parses a plain decimal ("12", "-0.5", "1.5e+21"); null when it is not one. */
function decimalFromPlain(text: string): Decimal | null {
  const m = /^([+-]?)(\d*)(?:\.(\d*))?(?:[eE]([+-]?\d+))?$/.exec(text);
  if (!m) return null;
  const int = m[2] ?? "";
  const frac = m[3] ?? "";
  if (int === "" && frac === "") return null;
  const digits = BigInt(int + frac || "0");
  return {
    mantissa: m[1] === "-" ? -digits : digits,
    exponent: Number(m[4] ?? 0) - frac.length,
  };
}

/**
 * A JS number as an exact decimal. Safe integers convert exactly; larger
 * integers by their shortest round-trip form (String(n)); other values by
 * their shortest form cut to 15 significant digits (see DOUBLE_DIGITS).
 */
export function decimalFromNumber(n: number): Decimal {
  if (!Number.isFinite(n)) throw new RangeError(`a Quantity cannot hold ${n}`);
  if (Number.isSafeInteger(n)) return { mantissa: BigInt(n), exponent: 0 };
  let text = String(n);
  if (!Number.isInteger(n) && significantDigits(text) > DOUBLE_DIGITS) text = n.toPrecision(DOUBLE_DIGITS);
  const d = decimalFromPlain(text);
  if (!d) throw new RangeError(`cannot read ${text} as a decimal`);
  return d;
}

function significantDigits(plain: string): number {
  const digits = plain
    .replace(/[eE].*$/, "")
    .replace(/[^0-9]/g, "")
    .replace(/^0+/, "")
    .replace(/0+$/, "");
  return digits.length;
}

/** Rounds the magnitude up to a multiple of 10^-9, as Kubernetes does. */
function roundUpToNano(d: Decimal): Decimal {
  if (d.exponent >= NANO_EXPONENT || d.mantissa === 0n) return d;
  const divisor = pow10(NANO_EXPONENT - d.exponent);
  const magnitude = abs(d.mantissa);
  const q = magnitude / divisor + (magnitude % divisor === 0n ? 0n : 1n);
  return { mantissa: d.mantissa < 0n ? -q : q, exponent: NANO_EXPONENT };
}

/** Canonical DecimalSI text of an exact decimal. */
export function formatDecimalQuantity(value: Decimal): string {
  let { mantissa, exponent } = roundUpToNano(value);
  if (mantissa === 0n) return "0";
  // Move every factor of ten into the exponent, then step the exponent down
  // to a multiple of three: the largest suffix that keeps all digits.
  while (mantissa % 10n === 0n) {
    mantissa /= 10n;
    exponent += 1;
  }
  const down = ((exponent % 3) + 3) % 3;
  mantissa *= pow10(down);
  exponent -= down;
  const suffix = SUFFIX_BY_EXPONENT.get(exponent);
  return `${mantissa}${suffix ?? `e${exponent}`}`;
}

/** Canonical DecimalSI text of a JS number: formatQuantity(1.5) === "1500m". */
export function formatQuantity(value: number): string {
  return formatDecimalQuantity(decimalFromNumber(value));
}

/**
 * Parses a Quantity in any of Kubernetes' forms: decimal SI suffixes
 * (n u m k M G T P E), binary ones (Ki Mi Gi Ti Pi Ei), exponents (1e3, 1E-3),
 * an optional sign and a fraction. The result is rounded up to nano; BinarySI
 * values are capped at 2^63-1 as Kubernetes caps them.
 */
export function parseQuantity(text: string, field = "quantity"): Decimal {
  const bad = (): never => {
    throw new InvalidInputError(field, `${field} ${JSON.stringify(text)} is not a Kubernetes quantity`);
  };
  const m = /^([+-]?)(\d*)(?:\.(\d*))?([eEinumkKMGTP]*[+-]?\d*)$/.exec(text);
  if (!m) return bad();
  const sign = m[1] ?? "";
  const int = m[2] ?? "";
  const frac = m[3] ?? "";
  const suffix = m[4] ?? "";
  if (int === "" && frac === "") return bad();
  const plain = decimalFromPlain(`${sign}${int}${frac === "" ? "" : `.${frac}`}`) ?? bad();

  const decimal = DECIMAL_BY_SUFFIX.get(suffix);
  if (decimal !== undefined) return roundUpToNano({ mantissa: plain.mantissa, exponent: plain.exponent + decimal });

  const binary = BINARY_BY_SUFFIX.get(suffix);
  if (binary !== undefined) {
    const scaled = roundUpToNano({ mantissa: plain.mantissa * (1n << BigInt(binary)), exponent: plain.exponent });
    return capAt(scaled, MAX_INT64);
  }

  const exp = /^[eE]([+-]?\d+)$/.exec(suffix);
  if (exp) {
    const e = Number(exp[1]);
    if (!Number.isSafeInteger(e) || Math.abs(e) > 1_000_000) return bad();
    return roundUpToNano({ mantissa: plain.mantissa, exponent: plain.exponent + e });
  }
  return bad();
}

function capAt(d: Decimal, max: bigint): Decimal {
  if (d.mantissa <= 0n) return d;
  const asInteger = d.exponent >= 0 ? d.mantissa * pow10(d.exponent) : null;
  const over = asInteger !== null ? asInteger > max : d.mantissa > max * pow10(-d.exponent);
  return over ? { mantissa: max, exponent: 0 } : d;
}

/** Exact comparison of two decimals: -1, 0 or 1. */
export function compareDecimals(a: Decimal, b: Decimal): number {
  const e = Math.min(a.exponent, b.exponent);
  const x = a.mantissa * pow10(a.exponent - e);
  const y = b.mantissa * pow10(b.exponent - e);
  return x < y ? -1 : x > y ? 1 : 0;
}

/** The nearest double (for display and tests; never for re-serializing). */
export function decimalToNumber(d: Decimal): number {
  return Number(`${d.mantissa}e${d.exponent}`);
}

/**
 * What smi-sdk-go's Metric.Set writes: NewMilliQuantity(int64(v*1000)), i.e.
 * the float product truncated toward zero to whole milli units, then canonical
 * ("56395m", "1384m", "240"). The same IEEE multiplication as Go's, so the
 * same digits; past int64 (|v| > 9.2e15) Go wrapped around, this stays exact.
 */
export function formatMilliQuantity(value: number): string {
  if (!Number.isFinite(value)) throw new RangeError(`a Quantity cannot hold ${value}`);
  return formatDecimalQuantity({ mantissa: BigInt(Math.trunc(value * 1000)), exponent: -3 });
}
