// JSON bytes as Go's encoding/json writes them, which is what SMI clients
// were fed by the reference server: compact, with <, > and & escaped as
// \u003c, \u003e, \u0026 and U+2028/U+2029 escaped too. Key order is the
// insertion order of the objects built in shape.ts, which mirrors the Go
// structs' field order.

export function goJson(value: unknown): string {
  return JSON.stringify(value)
    .replace(/</g, "\\u003c")
    .replace(/>/g, "\\u003e")
    .replace(/&/g, "\\u0026")
    .replace(/\u2028/g, "\\u2028")
    .replace(/\u2029/g, "\\u2029");
}

/** metav1.Time: RFC 3339 in UTC with whole seconds ("2019-04-08T22:25:55Z"). */
export function kubeTime(d: Date): string {
  return d.toISOString().replace(/\.\d+Z$/, "Z");
}
