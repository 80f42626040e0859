// The flags stat, edges and top share: namespace, window and time, checked here
// so that mistakes are usage errors (exit 1) before any request.

import { parseWindow } from "../domain/window.ts";
import type { ClientFlags } from "./client.ts";
import { UsageError } from "./options.ts";
import type { OutputFormat } from "./output.ts";

export interface QueryFlags extends ClientFlags {
  readonly namespace?: string;
  readonly allNamespaces?: boolean;
  readonly timeWindow: string;
  readonly at?: string;
  readonly output?: OutputFormat;
}

export interface Scope {
  /** null: every namespace */
  readonly namespace: string | null;
  readonly window: string;
  readonly at: string | null;
}

export function scopeOf(flags: QueryFlags): Scope {
  if (flags.allNamespaces && flags.namespace) throw new UsageError("-A and -n go separately: -A is every namespace");
  try {
    parseWindow(flags.timeWindow, "--time-window");
  } catch (e) {
    throw new UsageError(e instanceof Error ? e.message : String(e));
  }
  let at: string | null = null;
  if (flags.at !== undefined) {
    const ms = Date.parse(flags.at);
    if (Number.isNaN(ms))
      throw new UsageError(`--at must be an RFC 3339 time such as 2026-01-02T15:04:05Z, not ${JSON.stringify(flags.at)}`);
    at = new Date(ms).toISOString();
  }
  return { namespace: flags.allNamespaces ? null : (flags.namespace ?? "default"), window: flags.timeWindow, at };
}
