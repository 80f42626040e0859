// Writing rows as people read them (a borderless table, as kubectl and linkerd
// print) or as programs read them (JSON, YAML).

import Table from "cli-table3";

export type OutputFormat = "table" | "wide" | "json" | "yaml";

const BORDERLESS = {
  chars: {
    top: "",
    "top-mid": "",
    "top-left": "",
    "top-right": "",
    bottom: "",
    "bottom-mid": "",
    "bottom-left": "",
    "bottom-right": "",
    left: "",
    "left-mid": "",
    mid: "",
    "mid-mid": "",
    right: "",
    "right-mid": "",
    middle: "   ",
  },
  style: { head: [] as string[], border: [] as string[], "padding-left": 0, "padding-right": 0 },
};

export function table(head: readonly string[], rows: readonly (readonly string[])[]): string {
  const t = new Table({ head: [...head], ...BORDERLESS });
  t.push(...rows.map((r) => [...r]));
  // cli-table3 pads the last column too; kubectl's tables end at the text.
  return `${t
    .toString()
    .split("\n")
    .map((l) => l.trimEnd())
    .join("\n")}\n`;
}

export async function machine(format: "json" | "yaml", value: unknown): Promise<string> {
  if (format === "json") return `${JSON.stringify(value, null, 2)}\n`;
  const { stringify } = await import("yaml");
  return stringify(value);
}

/** Machine formats print even an empty list; tables say on stderr that there was nothing. */
export async function write(format: OutputFormat, json: unknown[], render: () => string, emptyMessage: string | null): Promise<void> {
  if (format === "json" || format === "yaml") {
    process.stdout.write(await machine(format, json));
    return;
  }
  if (emptyMessage !== null) {
    process.stderr.write(`${emptyMessage}\n`);
    return;
  }
  process.stdout.write(render());
}
