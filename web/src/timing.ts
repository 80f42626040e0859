// The console's performance entries, which tests and the render bench read.

/** Measures from `start` to now under `name`, keeping only the latest entry: a page that redraws for hours must not pile them up. */
export function measureLatest(name: string, start: number): void {
  performance.clearMeasures(name);
  performance.measure(name, { start, end: performance.now() });
}
