// Shares identical queries across concurrent requests, and keeps answers for a
// short time: dashboards that poll every few seconds ask the same thing again.

import type { InstantQuerier, QueryRange, RangeQuerier, RangeSeries, Sample } from "./client.ts";

export interface CachingOptions {
  /** How long an answer is reused; 0 keeps only the in-flight sharing. */
  readonly ttlMs: number;
  /** Upper bound on kept answers; the oldest goes first. */
  readonly maxEntries: number;
  readonly now?: () => number;
}

interface Entry {
  readonly promise: Promise<Sample[] | RangeSeries[]>;
  expires: number;
}

export class CoalescingQuerier implements InstantQuerier, RangeQuerier {
  private readonly entries = new Map<string, Entry>();
  private readonly now: () => number;

  constructor(
    private readonly inner: InstantQuerier & RangeQuerier,
    private readonly options: CachingOptions,
  ) {
    this.now = options.now ?? Date.now;
  }

  query(promql: string, at: Date): Promise<Sample[]> {
    return this.shared(`${at.getTime()}\u0000${promql}`, () => this.inner.query(promql, at));
  }

  queryRange(promql: string, range: QueryRange): Promise<RangeSeries[]> {
    const key = `${range.start.getTime()}:${range.end.getTime()}:${range.stepSeconds}\u0000${promql}`;
    return this.shared(key, () => this.inner.queryRange(promql, range));
  }

  private shared<T extends Sample[] | RangeSeries[]>(key: string, run: () => Promise<T>): Promise<T> {
    const now = this.now();
    const hit = this.entries.get(key);
    // A key names one kind of query, so its entry holds that kind's answer.
    if (hit && hit.expires > now) return hit.promise as Promise<T>;
    if (hit) this.entries.delete(key);

    const promise = run();
    const entry: Entry = { promise, expires: Number.POSITIVE_INFINITY };
    this.entries.set(key, entry);
    promise.then(
      () => {
        entry.expires = this.now() + this.options.ttlMs;
        if (this.options.ttlMs <= 0) this.forget(key, entry);
      },
      // Failures are never cached: the next caller tries again.
      () => this.forget(key, entry),
    );
    this.evict();
    return promise;
  }

  private forget(key: string, entry: Entry): void {
    if (this.entries.get(key) === entry) this.entries.delete(key);
  }

  private evict(): void {
    while (this.entries.size > this.options.maxEntries) {
      const oldest = this.entries.keys().next();
      if (oldest.done) return;
      this.entries.delete(oldest.value);
    }
  }
}
