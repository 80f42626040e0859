// Whether a question wants golden's latency (a bucket query). "Wanted" is the
// default and reads as an absent field, so keys and batches look as they did
// before selections were read.

/** The latency field of a key or batch: absent when wanted. */
export function latencyField(wanted: boolean): { readonly latency?: false } {
  return wanted ? {} : { latency: false };
}

/** A cache key's suffix: an answer without latency must never serve a question that wants it. */
export function latencyKeySuffix(k: { readonly latency?: boolean }): string {
  return k.latency === false ? "|-latency" : "";
}
