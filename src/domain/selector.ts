// Kubernetes label selectors in kubectl's syntax:
//   a=b, a==b, a!=b, a in (x,y), a notin (x,y), a, !a
// Parsing is strict: a selector that is not understood is rejected, never ignored.

import { InvalidInputError } from "./errors.ts";

export type Requirement =
  | { readonly key: string; readonly op: "in" | "notin"; readonly values: readonly string[] }
  | { readonly key: string; readonly op: "exists" | "!exists" };

export interface LabelSelector {
  readonly requirements: readonly Requirement[];
  readonly text: string;
}

// A qualified key: optional DNS-1123 subdomain prefix, then a name of up to 63 characters.
const NAME = /^[A-Za-z0-9]([-A-Za-z0-9_.]{0,61}[A-Za-z0-9])?$/;
const PREFIX = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;
const VALUE = /^([A-Za-z0-9]([-A-Za-z0-9_.]{0,61}[A-Za-z0-9])?)?$/;

function bad(text: string, why: string): never {
  throw new InvalidInputError("labelSelector", `labelSelector ${JSON.stringify(text)} is invalid: ${why}`);
}

function checkKey(text: string, key: string): string {
  const slash = key.indexOf("/");
  const prefix = slash >= 0 ? key.slice(0, slash) : null;
  const name = slash >= 0 ? key.slice(slash + 1) : key;
  if (prefix !== null && (prefix.length > 253 || !PREFIX.test(prefix)))
    bad(text, `key prefix ${JSON.stringify(prefix)} is not a DNS-1123 subdomain`);
  if (!NAME.test(name)) bad(text, `${JSON.stringify(key)} is not a valid label key`);
  return key;
}

function checkValue(text: string, value: string): string {
  if (value.length > 63 || !VALUE.test(value)) bad(text, `${JSON.stringify(value)} is not a valid label value`);
  return value;
}

/** Splits on commas that are not inside parentheses. */
function splitTerms(text: string): string[] {
  const terms: string[] = [];
  let depth = 0;
  let current = "";
  for (const ch of text) {
    if (ch === "(") depth++;
    if (ch === ")") depth--;
    if (depth < 0) bad(text, "unbalanced parentheses");
    if (ch === "," && depth === 0) {
      terms.push(current.trim());
      current = "";
    } else current += ch;
  }
  if (depth !== 0) bad(text, "unbalanced parentheses");
  terms.push(current.trim());
  return terms;
}

const SET_TERM = /^(\S+)\s+(in|notin)\s*\((.*)\)$/;
const EQ_TERM = /^([^=!\s]+)\s*(==|=|!=)\s*(\S*)$/;

function parseTerm(text: string, term: string): Requirement {
  if (term === "") bad(text, "empty requirement");
  const set = SET_TERM.exec(term);
  if (set) {
    const values = set[3]!.split(",").map((v) => checkValue(text, v.trim()));
    if (set[3]!.trim() === "") bad(text, `${set[2]} needs at least one value`);
    return { key: checkKey(text, set[1]!), op: set[2] as "in" | "notin", values };
  }
  const eqm = EQ_TERM.exec(term);
  if (eqm) {
    const value = checkValue(text, eqm[3]!);
    return { key: checkKey(text, eqm[1]!), op: eqm[2] === "!=" ? "notin" : "in", values: [value] };
  }
  if (term.startsWith("!")) return { key: checkKey(text, term.slice(1).trim()), op: "!exists" };
  if (/^\S+$/.test(term)) return { key: checkKey(text, term), op: "exists" };
  return bad(text, `cannot parse ${JSON.stringify(term)}`);
}

export function parseSelector(text: string): LabelSelector {
  if (text.trim() === "") return { requirements: [], text: "" };
  if (text.length > 4096) bad(text.slice(0, 40), "longer than 4096 characters");
  return { requirements: splitTerms(text).map((t) => parseTerm(text, t)), text };
}

export function matchesSelector(selector: LabelSelector, labels: Readonly<Record<string, string>>): boolean {
  return selector.requirements.every((r) => matchesRequirement(r, labels));
}

// A function of its own: TypeScript proves the switch returns on every operator.
function matchesRequirement(r: Requirement, labels: Readonly<Record<string, string>>): boolean {
  const has = Object.hasOwn(labels, r.key);
  switch (r.op) {
    case "exists":
      return has;
    case "!exists":
      return !has;
    case "in":
      return has && r.values.includes(labels[r.key]!);
    case "notin":
      return !has || !r.values.includes(labels[r.key]!);
  }
}
