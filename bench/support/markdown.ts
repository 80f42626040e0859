/** One Markdown table row: benches print their results as tables to paste into bench/README.md. */
export const row = (...cells: ReadonlyArray<string | number>): string => `| ${cells.join(" | ")} |`;
