// The log's options, apart from the logger: `meshql --help` reads these
// through src/cli/options.ts and must not load pino to do so.

import type { LevelWithSilent } from "pino";

export const LOG_LEVELS = ["fatal", "error", "warn", "info", "debug", "trace", "silent"] as const satisfies readonly LevelWithSilent[];
export type LogLevel = (typeof LOG_LEVELS)[number];
/** auto: pretty when stdout is a terminal, else JSON (containers, pipes, collectors). */
export const LOG_FORMATS = ["json", "pretty", "auto"] as const;
export type LogFormat = (typeof LOG_FORMATS)[number];

export interface LogOptions {
  readonly level: LogLevel;
  readonly format: LogFormat;
}
