// How `meshql check` prints: one line per check, ✔ or ✖ (‼ for a warning that
// does not fail), and under a failure what to do.

export type Outcome = "ok" | "warn" | "fail";

export interface CheckResult {
  readonly outcome: Outcome;
  /** What was checked, as a sentence that is true when the check passes. */
  readonly title: string;
  /** What was found or tried (URLs without credentials). */
  readonly detail?: string;
  /** What to do about a failure or warning. */
  readonly hint?: string;
}

const MARK: Readonly<Record<Outcome, string>> = { ok: "✔", warn: "‼", fail: "✖" };

export const ok = (title: string, detail?: string): CheckResult => ({ outcome: "ok", title, detail });
export const fail = (title: string, detail: string, hint?: string): CheckResult => ({ outcome: "fail", title, detail, hint });
export const warn = (title: string, detail: string, hint?: string): CheckResult => ({ outcome: "warn", title, detail, hint });

export function section(name: string): string {
  return `${name}\n${"-".repeat(name.length)}\n`;
}

export function line(r: CheckResult): string {
  const mark = MARK[r.outcome];
  let text = `${mark} ${r.title}${r.detail && r.outcome === "ok" ? ` (${r.detail})` : ""}\n`;
  if (r.outcome !== "ok") {
    if (r.detail) text += `    ${r.detail}\n`;
    if (r.hint) text += `    fix: ${r.hint}\n`;
  }
  return text;
}

/** Credentials never appear in what check prints. */
export function shownUrl(url: string): string {
  try {
    const u = new URL(url);
    u.username = "";
    u.password = "";
    return u.toString().replace(/\/$/, "");
  } catch {
    return url;
  }
}
