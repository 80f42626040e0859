// A gateway logger whose JSON lines a test can read back, as an operator's
// log collector would receive them.

import { createLogger, type Logger, type LogLevel } from "../../src/server/log.ts";

export interface LogLine {
  readonly level: number;
  readonly msg: string;
  readonly [field: string]: unknown;
}

export interface CapturedLog {
  readonly logger: Logger;
  /** Every line written so far, parsed. */
  lines(): LogLine[];
  /** Every line as written, for "never appears anywhere" checks. */
  text(): string;
}

export function captureLog(level: LogLevel = "info"): CapturedLog {
  const raw: string[] = [];
  const logger = createLogger({ level, format: "json" }, { write: (line: string) => void raw.push(line) });
  return {
    logger,
    lines: () => raw.map((l) => JSON.parse(l) as LogLine),
    text: () => raw.join(""),
  };
}

/** pino's numeric levels. */
export const LEVEL = { debug: 20, info: 30, warn: 40, error: 50 } as const;
