// Numbers for people: three significant digits, milliseconds under a second
// and seconds above, and "–" for a value that does not exist (never 0).

export const MISSING = "–";

/** Three significant digits without exponents; 1234 → "1.23k". */
export function formatNumber(value: number | null | undefined): string {
  if (value == null || !Number.isFinite(value)) return MISSING;
  if (value === 0) return "0";
  const abs = Math.abs(value);
  for (const [limit, suffix] of [
    [1e9, "G"],
    [1e6, "M"],
    [1e3, "k"],
  ] as const) {
    // Round first, so that 999,600 reads "1.00M" rather than "1.00e+3k".
    if (Number(abs.toPrecision(3)) >= limit) return `${sig3(value / limit)}${suffix}`;
  }
  return sig3(value);
}

/** Requests per second. */
export function formatRps(value: number | null | undefined): string {
  return value == null ? MISSING : `${formatNumber(value)} rps`;
}

/** A rate between 0 and 1 as a percentage. */
export function formatPercent(rate: number | null | undefined): string {
  if (rate == null || !Number.isFinite(rate)) return MISSING;
  return `${sig3(rate * 100)}%`;
}

/** Latency given in milliseconds: "812 ms", "1.25 s". */
export function formatLatency(ms: number | null | undefined): string {
  if (ms == null || !Number.isFinite(ms)) return MISSING;
  if (Number(ms.toPrecision(3)) < 1000) return `${sig3(ms)} ms`;
  return `${sig3(ms / 1000)} s`;
}

export function formatBool(value: boolean | null | undefined, yes: string, no: string): string {
  return value == null ? MISSING : value ? yes : no;
}

function sig3(value: number): string {
  if (value === 0) return "0";
  const text = value.toPrecision(3);
  // toPrecision switches to exponents below 1e-6 and at 1e3 and up; neither is for people.
  return text.includes("e") ? String(Number(text)) : text;
}
