// Deterministic stand-ins for the random names Kubernetes gives pods, so a
// topology always yields the same pod names, run after run.

/** The alphabet Kubernetes uses for generated name suffixes (no vowels, no look-alikes). */
export const KUBE_ALPHABET = "bcdfghjklmnpqrstvwxz2456789";

/** FNV-1a, 32 bits: small, stable, good enough to seed names. */
function fnv1a(text: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) {
    h ^= text.charCodeAt(i);
    h = Math.imul(h, 0x01000193) >>> 0;
  }
  return h >>> 0;
}

/** `length` characters of KUBE_ALPHABET, a pure function of `seed`. */
function kubeSuffix(seed: string, length: number): string {
  // mulberry32 stream seeded by the text's hash.
  let state = fnv1a(seed);
  let out = "";
  for (let i = 0; i < length; i++) {
    state = (state + 0x6d2b79f5) >>> 0;
    let z = state;
    z = Math.imul(z ^ (z >>> 15), z | 1);
    z ^= z + Math.imul(z ^ (z >>> 7), z | 61);
    z = (z ^ (z >>> 14)) >>> 0;
    out += KUBE_ALPHABET[z % KUBE_ALPHABET.length];
  }
  return out;
}

/** The pod-template-hash of a Deployment's current ReplicaSet (10 characters). */
export function podTemplateHash(namespace: string, deployment: string): string {
  return kubeSuffix(`template/${namespace}/${deployment}`, 10);
}

/** `count` distinct 5-character pod suffixes for one owner. */
export function podSuffixes(owner: string, count: number): string[] {
  const seen = new Set<string>();
  const out: string[] = [];
  for (let attempt = 0; out.length < count; attempt++) {
    const s = kubeSuffix(`pod/${owner}/${attempt}`, 5);
    if (!seen.has(s)) {
      seen.add(s);
      out.push(s);
    }
  }
  return out;
}

/**
 * The pod name of a one-replica Deployment outside the model (a control
 * plane's). Its suffix is seeded by the Deployment, not by its ReplicaSet as
 * the model's pods are; changing that would change every generated history.
 */
export function deploymentPodName(namespace: string, name: string): string {
  return `${name}-${podTemplateHash(namespace, name)}-${podSuffixes(`${namespace}/${name}`, 1)[0]}`;
}
