// One list+watch loop keeping a local copy of one resource collection.
// Written here rather than taken from @kubernetes/client-node's ListWatch,
// which stops for good on the first watch error (a cut connection) and offers
// no "has listed" signal; both matter to a server that must stay correct for weeks.
//
// The loop: list (paginated) -> watch from the list's resourceVersion, with
// bookmarks -> on a normal end, watch again from the last resourceVersion seen
// -> on 410 Gone, list again -> on any other failure, back off and retry.

import { isKubeApiError, KubeApiError, type KubeClient, type RawWatchEvent } from "./client.ts";
import type { SlimObject } from "./objects.ts";

export interface ReflectorOptions<T extends SlimObject> {
  /** Collection path, e.g. "/api/v1/pods" or "/apis/apps/v1/deployments". */
  readonly path: string;
  readonly decode: (raw: unknown) => T | null;
  /** Called after every change of the local copy (list, add, update, delete). */
  readonly onChange?: () => void;
  readonly log?: (message: string) => void;
  /** Asked of the server per watch; it ends the watch then, and the loop resumes. */
  readonly watchTimeoutSeconds?: number;
  readonly pageSize?: number;
  readonly backoffMinMs?: number;
  readonly backoffMaxMs?: number;
}

export interface ReflectorStats {
  lists: number;
  watches: number;
  failures: number;
  expired: number;
}

interface ListBody {
  metadata?: { resourceVersion?: string; continue?: string };
  items?: unknown[];
}

class Expired extends Error {
  override readonly name = "Expired";
}

const sleep = (ms: number, signal: AbortSignal): Promise<void> =>
  new Promise((resolve) => {
    if (signal.aborted) return resolve();
    const t = setTimeout(done, ms);
    function done(): void {
      clearTimeout(t);
      signal.removeEventListener("abort", done);
      resolve();
    }
    signal.addEventListener("abort", done, { once: true });
  });

function key(namespace: string, name: string): string {
  return `${namespace}/${name}`;
}

/** Errors worth failing start-up for: retrying will not fix credentials or RBAC. */
function isConfigurationError(e: unknown): boolean {
  return isKubeApiError(e) && (e.status === 401 || e.status === 403 || e.status === 404);
}

export class Reflector<T extends SlimObject> {
  readonly stats: ReflectorStats = { lists: 0, watches: 0, failures: 0, expired: 0 };
  private readonly items = new Map<string, T>();
  private readonly client: KubeClient;
  private readonly opts: ReflectorOptions<T>;
  private readonly abort = new AbortController();
  private resourceVersion = "";
  private running = false;
  private lastFailure: string | null = null;
  private syncedResolve!: () => void;
  private syncedReject!: (e: Error) => void;
  private hasSynced = false;
  /** Resolves after the first complete list; rejects if that list fails for a configuration reason. */
  readonly synced: Promise<void>;

  constructor(client: KubeClient, opts: ReflectorOptions<T>) {
    this.client = client;
    this.opts = opts;
    this.synced = new Promise<void>((resolve, reject) => {
      this.syncedResolve = resolve;
      this.syncedReject = reject;
    });
    // Callers that only poll list() never await synced; keep its rejection from going unhandled.
    this.synced.catch(() => undefined);
  }

  start(): void {
    if (this.running) return;
    this.running = true;
    void this.loop();
  }

  stop(): void {
    this.abort.abort();
  }

  get(namespace: string, name: string): T | undefined {
    return this.items.get(key(namespace, name));
  }

  values(): IterableIterator<T> {
    return this.items.values();
  }

  get size(): number {
    return this.items.size;
  }

  get path(): string {
    return this.opts.path;
  }

  /** Whether the first complete list has arrived (synced has resolved). */
  get listed(): boolean {
    return this.hasSynced;
  }

  /** The latest failure's message, for start-up diagnostics; null when none happened. */
  get lastError(): string | null {
    return this.lastFailure;
  }

  private log(message: string): void {
    this.opts.log?.(`kube ${this.opts.path}: ${message}`);
  }

  private async loop(): Promise<void> {
    const signal = this.abort.signal;
    const min = this.opts.backoffMinMs ?? 250;
    const max = this.opts.backoffMaxMs ?? 30_000;
    let attempt = 0;
    while (!signal.aborted) {
      try {
        if (this.resourceVersion === "") await this.list(signal);
        const started = Date.now();
        await this.watchOnce(signal);
        attempt = 0;
        // A server that ends watches at once would otherwise be hammered.
        if (Date.now() - started < 1000) await sleep(min, signal);
      } catch (e) {
        if (signal.aborted) break;
        if (e instanceof Expired) {
          this.stats.expired++;
          this.log("resourceVersion expired (410); listing again");
          this.resourceVersion = "";
          continue;
        }
        this.stats.failures++;
        this.lastFailure = e instanceof Error ? e.message : String(e);
        if (!this.hasSynced && isConfigurationError(e)) this.syncedReject(e as Error);
        const delay = Math.min(max, min * 2 ** attempt) * (0.5 + Math.random() / 2);
        attempt = Math.min(attempt + 1, 20);
        this.log(`${this.lastFailure}; retrying in ${Math.round(delay)} ms`);
        await sleep(delay, signal);
      }
    }
  }

  private async list(signal: AbortSignal): Promise<void> {
    const fresh = new Map<string, T>();
    let cont = "";
    let rv = "";
    do {
      const q = new URLSearchParams({ limit: String(this.opts.pageSize ?? 500) });
      if (cont) q.set("continue", cont);
      let body: ListBody;
      try {
        body = await this.client.json<ListBody>("GET", `${this.opts.path}?${q}`, undefined, signal);
      } catch (e) {
        // An expired continue token: the snapshot is gone, start the list over.
        if (isKubeApiError(e) && e.status === 410) throw new Expired(e.message);
        throw e;
      }
      for (const raw of body.items ?? []) {
        const item = this.opts.decode(raw);
        if (item) fresh.set(key(item.namespace, item.name), item);
      }
      cont = body.metadata?.continue ?? "";
      rv = body.metadata?.resourceVersion ?? "";
    } while (cont !== "");
    if (rv === "") throw new KubeApiError(0, null, `list ${this.opts.path}: no resourceVersion in the answer`);
    this.stats.lists++;
    // Replacing wholesale drops whatever was deleted while no watch was open.
    this.items.clear();
    for (const [k, v] of fresh) this.items.set(k, v);
    this.resourceVersion = rv;
    this.opts.onChange?.();
    if (!this.hasSynced) {
      this.hasSynced = true;
      this.syncedResolve();
    }
  }

  private async watchOnce(signal: AbortSignal): Promise<void> {
    const timeout = this.opts.watchTimeoutSeconds ?? 300 + Math.floor(Math.random() * 300);
    const q = new URLSearchParams({
      watch: "true",
      resourceVersion: this.resourceVersion,
      allowWatchBookmarks: "true",
      timeoutSeconds: String(timeout),
    });
    this.stats.watches++;
    try {
      await this.client.watch(`${this.opts.path}?${q}`, (ev) => this.apply(ev), (timeout + 30) * 1000, signal);
    } catch (e) {
      if (isKubeApiError(e) && e.status === 410) throw new Expired(e.message);
      throw e;
    }
  }

  private apply(event: RawWatchEvent): void {
    if (event.type === "ERROR") {
      const status = event.object as { code?: unknown; message?: unknown } | null;
      const message = typeof status?.message === "string" ? status.message : "watch error";
      if (status?.code === 410) throw new Expired(message);
      throw new KubeApiError(typeof status?.code === "number" ? status.code : 0, null, message);
    }
    const meta = (event.object as { metadata?: { resourceVersion?: unknown } } | null)?.metadata;
    const rv = typeof meta?.resourceVersion === "string" ? meta.resourceVersion : "";
    if (event.type === "BOOKMARK") {
      // A bookmark only moves the resume point forward, so a reconnect after a
      // quiet hour does not start from a resourceVersion the server has forgotten.
      if (rv) this.resourceVersion = rv;
      return;
    }
    const item = this.opts.decode(event.object);
    if (!item) return;
    const k = key(item.namespace, item.name);
    if (event.type === "ADDED" || event.type === "MODIFIED") this.items.set(k, item);
    else if (event.type === "DELETED") this.items.delete(k);
    else return;
    if (rv) this.resourceVersion = rv;
    this.opts.onChange?.();
  }
}
