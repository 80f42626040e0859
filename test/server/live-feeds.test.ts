// LiveFeeds alone: how many runs N subscribers cost, counted, not timed.
// Real timers with a 40 ms interval; the assertions count runs and answers.

import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { LiveFeeds, type FeedSpec } from "../../src/server/live-feeds.ts";

const INTERVAL = 40;
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

function spec(key: string, answers: { n: number }, changed?: () => Promise<boolean>, intervalMs = INTERVAL): FeedSpec<number> {
  return { key, intervalMs, run: async () => ++answers.n, ...(changed ? { changed } : {}) };
}

describe("LiveFeeds", () => {
  it("runs once per interval for any number of subscribers with the same key, and each gets every answer once", async () => {
    const feeds = new LiveFeeds<number>({ recheckMs: 60_000 });
    const answers = { n: 0 };
    const got = Array.from({ length: 500 }, () => [] as number[]);
    const started = Date.now();
    const leave = got.map((list) => feeds.subscribe(spec("same", answers), (v) => list.push(v)));
    await sleep(INTERVAL * 5);
    for (const l of leave) l();
    const intervals = Math.ceil((Date.now() - started) / INTERVAL) + 1;
    assert.equal(feeds.runs, answers.n);
    assert.ok(feeds.runs >= 2 && feeds.runs <= intervals, `${feeds.runs} runs in ${intervals} intervals for 500 subscribers`);
    for (const list of got) {
      assert.ok(
        list.every((v, i) => i === 0 || v === list[i - 1]! + 1),
        `answers in order, none twice or skipped: ${list.join(",")}`,
      );
      // Joining or leaving across a boundary may miss the first or the last answer.
      assert.ok(list.length >= answers.n - 2, `${list.length} of ${answers.n} answers`);
    }
    assert.equal(feeds.size, 0, "the last subscriber to leave stops the feed");
    const after = feeds.runs;
    await sleep(INTERVAL * 2);
    assert.equal(feeds.runs, after, "no runs without subscribers");
  });

  it("runs separately for different keys, and a late joiner shares the current interval's answer", async () => {
    let now = 10 * INTERVAL + 1;
    const feeds = new LiveFeeds<number>({ recheckMs: 60_000, now: () => now });
    const [a, b] = [{ n: 0 }, { n: 0 }];
    const first: number[] = [];
    const late: number[] = [];
    const leaveA = feeds.subscribe(spec("a", a), (v) => first.push(v));
    const leaveB = feeds.subscribe(spec("b", b), () => {});
    await sleep(5);
    now += 5; // same interval
    const leaveLate = feeds.subscribe(spec("a", a), (v) => late.push(v));
    await sleep(5);
    assert.equal(a.n, 1, "the late joiner cost no run");
    assert.equal(b.n, 1);
    assert.deepEqual(late, [1]);
    assert.deepEqual(first, [1]);
    for (const l of [leaveA, leaveB, leaveLate]) l();
  });

  it("runs again at once when the access its answer relied on changed", async () => {
    let changed = false;
    const feeds = new LiveFeeds<number>({ recheckMs: 10 });
    const answers = { n: 0 };
    const got: number[] = [];
    // A 30-day interval: only a change can cause a second run while the test lasts.
    const leave = feeds.subscribe(
      spec("k", answers, async () => changed, 30 * 86_400_000),
      (v) => got.push(v),
    );
    await sleep(50);
    assert.deepEqual(got, [1]);
    changed = true;
    await sleep(30);
    leave();
    assert.ok(got.length >= 2 && got[1] === 2, JSON.stringify(got));
  });
});
