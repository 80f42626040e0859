// Prometheus' query log as benches read it: the entries written since a byte
// offset, each with the query and Prometheus' own evaluation time.

import { readFileSync, statSync } from "node:fs";

export interface LogEntry {
  readonly query: string;
  readonly evalMs: number;
}

/** The log's size now: pass it to logSince after the requests to measure. */
export const logSize = (file: string): number => statSync(file, { throwIfNoEntry: false })?.size ?? 0;

/** Query log entries written since `offset` bytes. */
export function logSince(file: string, offset: number): LogEntry[] {
  return readFileSync(file)
    .subarray(offset)
    .toString("utf8")
    .split("\n")
    .filter((l) => l.trim())
    .map((l) => JSON.parse(l) as { params?: { query?: string }; stats?: { timings?: { evalTotalTime?: number } } })
    .map((e) => ({ query: e.params?.query ?? "", evalMs: (e.stats?.timings?.evalTotalTime ?? 0) * 1000 }));
}

export const median = (xs: readonly number[]): number => {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
};
