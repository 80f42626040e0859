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
  readonly onReload?: () => void;
}

export interface ServingCertReloader {
  /** Reads the files now; resolves to whether a new pair was installed. */
  reload(): Promise<boolean>;
  close(): void;
}

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
      log(`serving certificate: cannot read: ${e instanceof Error ? e.message : String(e)}`);
      return false;
    }
    const digest = createHash("sha256").update(cert).update("\0").update(key).digest("hex");
    if (digest === lastDigest) return false;
    const context: SecureContextOptions = { ...options.contextOptions?.(), cert, key };
    try {
      createSecureContext(context);
    } catch (e) {
      log(`serving certificate: new pair rejected, keeping the old one: ${e instanceof Error ? e.message : String(e)}`);
      return false;
    }
    const first = lastDigest === null;
    lastDigest = digest;
    if (first) return false;
    server.setSecureContext(context);
    log("serving certificate reloaded");
    options.onReload?.();
    return true;
  };

  const reload = (): Promise<boolean> => {
    // Serialize: two overlapping reads could install an older pair last.
    const next = (running ?? Promise.resolve(false)).then(reloadNow, reloadNow);
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
      log(`serving certificate: cannot watch ${dir}, polling only: ${e instanceof Error ? e.message : String(e)}`);
    }
  }
  const poll = setInterval(() => void reload(), options.pollMs ?? 60_000);
  poll.unref();
  // Record the pair the server started with, so only real changes swap contexts.
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
