// The one place where values are quoted for PromQL. Every label value that
// reaches a query goes through label matchers built here.

/** A PromQL double-quoted string literal. */
export function quote(value: string): string {
  let out = '"';
  for (const ch of value) {
    const code = ch.codePointAt(0)!;
    if (ch === "\\") out += "\\\\";
    else if (ch === '"') out += '\\"';
    else if (ch === "\n") out += "\\n";
    else if (ch === "\r") out += "\\r";
    else if (ch === "\t") out += "\\t";
    else if (code < 0x20 || code === 0x7f) out += `\\x${code.toString(16).padStart(2, "0")}`;
    else out += ch;
  }
  return `${out}"`;
}

/** Escapes RE2 metacharacters so a value matches itself literally inside `=~`. */
export function escapeRegex(value: string): string {
  return value.replace(/[\\.^$|?*+()[\]{}]/g, "\\$&");
}

const LABEL_NAME = /^[a-zA-Z_][a-zA-Z0-9_]*$/;

/** Label names come from code, never from users; a bad one is a programming error. */
export function labelName(name: string): string {
  if (!LABEL_NAME.test(name)) throw new Error(`invalid PromQL label name ${JSON.stringify(name)}`);
  return name;
}

export interface Matcher {
  readonly label: string;
  readonly op: "=" | "!=" | "=~" | "!~";
  /** A literal for = and !=, an RE2 pattern for =~ and !~. */
  readonly value: string;
}

export const eq = (label: string, value: string): Matcher => ({ label, op: "=", value });
export const neq = (label: string, value: string): Matcher => ({ label, op: "!=", value });

const NEGATED: Readonly<Record<Matcher["op"], Matcher["op"]>> = { "=": "!=", "!=": "=", "=~": "!~", "!~": "=~" };

/** The matcher that selects exactly the series `m` does not. */
export const negate = (m: Matcher): Matcher => ({ ...m, op: NEGATED[m.op] });

/** Matches any of the literal values, each escaped. An empty list is a caller's bug. */
export function oneOf(label: string, values: Iterable<string>): Matcher {
  const unique = [...new Set(values)].sort();
  if (unique.length === 0) throw new Error(`oneOf(${label}) needs at least one value`);
  return unique.length === 1 ? eq(label, unique[0]!) : { label, op: "=~", value: unique.map(escapeRegex).join("|") };
}

/** Matches values that begin with any of the literal prefixes (and go on), each escaped. */
export function startsWith(label: string, prefixes: Iterable<string>): Matcher {
  const unique = [...new Set(prefixes)].sort();
  if (unique.length === 0) throw new Error(`startsWith(${label}) needs at least one prefix`);
  return { label, op: "=~", value: `(${unique.map(escapeRegex).join("|")}).+` };
}

/** A pattern written in code, never from users, e.g. regex("status_code", "5.."). */
export const regex = (label: string, pattern: string): Matcher => ({ label, op: "=~", value: pattern });

function renderMatcher(m: Matcher): string {
  return `${labelName(m.label)}${m.op}${quote(m.value)}`;
}

/** `metric{a="x",b=~"y|z"}` */
export function selector(metric: string, matchers: readonly Matcher[]): string {
  labelName(metric);
  return `${metric}{${matchers.map(renderMatcher).join(",")}}`;
}

export function by(labels: readonly string[]): string {
  return `by (${labels.map(labelName).join(", ")})`;
}

/** The vector with one more label set to a fixed value, so that `or`-ed parts of one query stay apart. */
export function tagged(expr: string, label: string, value: string): string {
  return `label_replace(${expr}, ${quote(labelName(label))}, ${quote(value)}, "", "")`;
}
