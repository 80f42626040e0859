// Shared live execution. Subscribers whose key is equal (same document,
// variables and access) ask the same question at the same moments, so each
// interval the feed runs it once and hands the one answer to all of them.
// Generic over the answer: it knows keys, clocks and fan-out, not GraphQL.

export interface FeedSpec<T> {
  /** Equal keys must mean equal answers for every subscriber: include whatever the answer depends on. */
  readonly key: string;
  readonly intervalMs: number;
  /** One evaluation at the latest boundary. Must not reject: failures belong in T. */
  run(): Promise<T>;
  /** True when what the last answer relied on (access decisions) may have changed: the feed runs again at once. */
  changed?(): Promise<boolean>;
}

export type Sink<T> = (value: T) => void;

export interface LiveFeedsOptions {
  /** How often a feed asks `changed()`; live streams re-check access with it. */
  readonly recheckMs: number;
  /** How long after each boundary its run starts: the backend needs a moment to store what was scraped by then. */
  readonly lagMs?: number;
  readonly now?: () => number;
  /** Told of every run, for metrics. */
  readonly onRun?: () => void;
}

export class LiveFeeds<T> {
  /** Runs so far, over all feeds: tests and benches count these. */
  runs = 0;
  private readonly feeds = new Map<string, Feed<T>>();
  readonly now: () => number;

  constructor(readonly options: LiveFeedsOptions) {
    this.now = options.now ?? Date.now;
  }

  /** The sink gets the current interval's answer soon, then one per interval; call the result to leave. */
  subscribe(spec: FeedSpec<T>, sink: Sink<T>): () => void {
    let feed = this.feeds.get(spec.key);
    if (!feed) {
      feed = new Feed(spec, this, () => this.feeds.delete(spec.key));
      this.feeds.set(spec.key, feed);
    }
    return feed.add(sink);
  }

  /** Distinct keys with subscribers now. */
  get size(): number {
    return this.feeds.size;
  }

  /** @internal one run of a feed, counted */
  run(spec: FeedSpec<T>): Promise<T> {
    this.runs++;
    this.options.onRun?.();
    return spec.run();
  }

  /** Stops every timer; subscribers are ended by whoever holds them. */
  close(): void {
    for (const feed of [...this.feeds.values()]) feed.stop();
    this.feeds.clear();
  }
}

interface Answer<T> {
  readonly slot: number;
  /** Increases with every run, so a sink never gets the same answer twice. */
  readonly seq: number;
  readonly value: Promise<T>;
}

class Feed<T> {
  /** Each sink with the seq of the last answer it got. */
  private readonly sinks = new Map<Sink<T>, number>();
  private answer: Answer<T> | null = null;
  private seq = 0;
  private timer: NodeJS.Timeout | null = null;
  private recheck: NodeJS.Timeout | null = null;

  constructor(
    private readonly spec: FeedSpec<T>,
    private readonly owner: LiveFeeds<T>,
    private readonly onEmpty: () => void,
  ) {}

  add(sink: Sink<T>): () => void {
    this.sinks.set(sink, 0);
    // A late joiner shares the answer of the interval it joined in.
    this.deliver(this.answerFor(this.slotNow()), [sink]);
    if (!this.timer) this.schedule(this.slotNow() + 1);
    if (!this.recheck && this.spec.changed) this.recheck = setInterval(() => void this.checkAccess(), this.owner.options.recheckMs);
    return () => {
      this.sinks.delete(sink);
      if (this.sinks.size === 0) {
        this.stop();
        this.onEmpty();
      }
    };
  }

  stop(): void {
    if (this.timer) clearTimeout(this.timer);
    if (this.recheck) clearInterval(this.recheck);
    this.timer = this.recheck = null;
  }

  private slotNow(): number {
    return Math.floor((this.owner.now() - this.lag) / this.spec.intervalMs);
  }

  private get lag(): number {
    return this.owner.options.lagMs ?? 0;
  }

  private answerFor(slot: number): Answer<T> {
    if (this.answer?.slot !== slot) this.answer = this.fresh(slot);
    return this.answer;
  }

  private fresh(slot: number): Answer<T> {
    return { slot, seq: ++this.seq, value: this.owner.run(this.spec) };
  }

  /** Timers may fire a little early by the wall clock: the slot is the one scheduled, never an older one. */
  private schedule(slot: number): void {
    const delay = Math.max(0, slot * this.spec.intervalMs + this.lag - this.owner.now());
    this.timer = setTimeout(() => {
      this.deliver(this.answerFor(Math.max(slot, this.slotNow())), [...this.sinks.keys()]);
      this.schedule(Math.max(slot, this.slotNow()) + 1);
    }, delay);
  }

  private async checkAccess(): Promise<void> {
    // Not knowing counts as changed: the next run then says what the user may see now.
    const changed = await this.spec.changed!().catch(() => true);
    if (!changed || this.sinks.size === 0) return;
    this.answer = this.fresh(this.slotNow());
    this.deliver(this.answer, [...this.sinks.keys()]);
  }

  private deliver(answer: Answer<T>, sinks: readonly Sink<T>[]): void {
    void answer.value.then((value) => {
      for (const sink of sinks) {
        const last = this.sinks.get(sink);
        if (last === undefined || last >= answer.seq) continue;
        this.sinks.set(sink, answer.seq);
        sink(value);
      }
    });
  }
}
