// JSON bytes as the reference server's Go encoding/json wrote them (Go before
// 1.22, which smi-metrics was built with): compact; <, >, &, U+2028 and U+2029
// escaped as \u003c, \u003e, \u0026, \u2028, \u2029; backspace and form feed as
// \u0008 and \u000c (Go 1.22 moved to \b and \f); a lone surrogate, which Go
// would have met as invalid UTF-8, as \ufffd. Key order is the insertion order
// of the objects built in shape.ts, which mirrors the Go structs' field order.

/** One escape sequence of JSON.stringify's output, or a raw character Go escapes. */
const TO_REWRITE = /\\(?:u[0-9a-f]{4}|.)|[<>&\u2028\u2029]/g;

/** Where Go's bytes differ from JSON.stringify's. */
const GO_FORM: ReadonlyMap<string, string> = new Map([
  ["\\b", "\\u0008"],
  ["\\f", "\\u000c"],
  ["<", "\\u003c"],
  [">", "\\u003e"],
  ["&", "\\u0026"],
  ["\u2028", "\\u2028"],
  ["\u2029", "\\u2029"],
]);

function goEscape(token: string): string {
  // JSON.stringify escapes only lone surrogates as \ud800-\udfff.
  return GO_FORM.get(token) ?? (/^\\ud[89a-f]/.test(token) ? "\\ufffd" : token);
}

export function goJson(value: unknown): string {
  // Matching whole escape sequences keeps "\\b" (an escaped backslash, then b) intact.
  return JSON.stringify(value).replace(TO_REWRITE, goEscape);
}

/** metav1.Time: RFC 3339 in UTC with whole seconds ("2019-04-08T22:25:55Z"). */
export function kubeTime(d: Date): string {
  return d.toISOString().replace(/\.\d+Z$/, "Z");
}
