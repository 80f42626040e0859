// Numbers for people: 3 significant digits, ms under a second then s, and
// "-" where there is no value (never a made-up 0).

export const NONE = "-";

function sig3(n: number): string {
  if (Math.abs(n) >= 1000) return String(Math.round(n));
  return String(Number(n.toPrecision(3)));
}

/** A success rate in [0, 1] as a percentage; anything below 1 never rounds up to 100%. */
export function percent(rate: number | null | undefined): string {
  if (rate == null) return NONE;
  let text = sig3(rate * 100);
  if (rate < 1 && text === "100") text = (Math.floor(rate * 10000) / 100).toFixed(2);
  return `${text}%`;
}

export function rps(value: number | null | undefined): string {
  return value == null ? NONE : `${sig3(value)}rps`;
}

/** Milliseconds, as ms below a second and s above. */
export function latency(ms: number | null | undefined): string {
  if (ms == null) return NONE;
  return ms < 1000 ? `${sig3(ms)}ms` : `${sig3(ms / 1000)}s`;
}

export function count(value: number | null | undefined): string {
  return value == null ? NONE : sig3(value);
}

export function meshed(pods: { meshed: number; total: number } | null | undefined): string {
  return pods ? `${pods.meshed}/${pods.total}` : NONE;
}

export function tls(mtls: boolean | null | undefined): string {
  return mtls == null ? NONE : mtls ? "yes" : "no";
}
