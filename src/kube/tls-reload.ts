// Serving certificates are rotated in place (cert-manager, Secret volume
// updates); restarting to pick them up would drop every connection. This
// watches --tls-cert-file and --tls-private-key-file and swaps the server's
// secure context. Secret volumes swap a symlinked directory, which fs.watch on
// the file itself can miss, so the directories are watched and a slow poll
// backs both up. A pair that does not load (half-written, mismatched) is
// skipped and the old one keeps serving.

import { createHash } from "node:crypto";
import { watch, type FSWatcher } from "node:fs";
import { readFile } from "node:fs/promises";
import { dirname } from "node:path";
import { createSecureContext, type SecureContextOptions } from "node:tls";

export interface SecureContextTarget {
  setSecureContext(options: SecureContextOptions): void;
}

export interface ServingCertReloadOptions {
  readonly certFile: string;
  readonly keyFile: string;
  /**
   * Context options to keep on every swap. setSecureContext replaces the whole
   * context, so the requestheader CA (`ca`) must be given again here or client
   * certificates stop verifying after the first rotation.
   */
  readonly contextOptions?: () => SecureContextOptions;
  readonly pollMs?: number;
  readonly debounceMs?: number;
  readonly log?: (message: string) => void;
}

export interface ServingCertReloader {
  /** Reads the files now; resolves to whether a new pair was installed. Never rejects: failures are logged. */
  reload(): Promise<boolean>;
  close(): void;
}

const message = (e: unknown): string => (e instanceof Error ? e.message : String(e));

export function watchServingCertificate(server: SecureContextTarget, options: ServingCertReloadOptions): ServingCertReloader {
  const log = options.log ?? (() => undefined);
  let lastDigest: string | null = null;
  let timer: NodeJS.Timeout | null = null;
  let closed = false;
  let running: Promise<boolean> | null = null;

  const reloadNow = async (): Promise<boolean> => {
    let cert: Buffer;
    let key: Buffer;
    try {
      [cert, key] = await Promise.all([readFile(options.certFile), readFile(options.keyFile)]);
    } catch (e) {
      log(`serving certificate: cannot read: ${message(e)}`);
      return false;
    }
    const digest = createHash("sha256").update(cert).update("\0").update(key).digest("hex");
    if (digest === lastDigest) return false;
    const context: SecureContextOptions = { ...options.contextOptions?.(), cert, key };
    try {
      createSecureContext(context);
    } catch (e) {
      log(`serving certificate: new pair rejected, keeping the old one: ${message(e)}`);
      return false;
    }
    if (lastDigest === null) {
      // Record the pair the server started with, so only real changes swap contexts.
      lastDigest = digest;
      return false;
    }
    server.setSecureContext(context);
    // Only now: a swap that threw is tried again on the next change or poll.
    lastDigest = digest;
    log("serving certificate reloaded");
    return true;
  };

  // Never rejects: it runs from timers and fs.watch callbacks, where a rejection
  // would go unhandled and end the process, while the old pair can keep serving.
  const guarded = (): Promise<boolean> =>
    reloadNow().catch((e: unknown) => {
      log(`serving certificate: reload failed, keeping the old one: ${message(e)}`);
      return false;
    });

  const reload = (): Promise<boolean> => {
    // Serialize: two overlapping reads could install an older pair last.
    const next = (running ?? Promise.resolve(false)).then(guarded);
    running = next;
    return next;
  };

  const schedule = (): void => {
    if (closed) return;
    if (timer) clearTimeout(timer);
    timer = setTimeout(() => void reload(), options.debounceMs ?? 100);
  };

  const watchers: FSWatcher[] = [];
  for (const dir of new Set([dirname(options.certFile), dirname(options.keyFile)])) {
    try {
      const w = watch(dir, { persistent: false }, schedule);
      w.on("error", (e) => log(`serving certificate: watch ${dir}: ${e.message}`));
      watchers.push(w);
    } catch (e) {
      log(`serving certificate: cannot watch ${dir}, polling only: ${message(e)}`);
    }
  }
  const poll = setInterval(() => void reload(), options.pollMs ?? 60_000);
  poll.unref();
  void reload();

  return {
    reload,
    close(): void {
      closed = true;
      if (timer) clearTimeout(timer);
      clearInterval(poll);
      for (const w of watchers) w.close();
    },
  };
}
