// Prometheus text exposition format 0.0.4: the families' values at one moment.

import { formatBound, formatValue, renderLabels, type MetricFamily } from "./format.ts";

export const EXPOSITION_CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8";

export function renderExposition(families: readonly MetricFamily[], t: number): string {
  const lines: string[] = [];
  for (const family of families) {
    lines.push(`# HELP ${family.name} ${family.help.replace(/\\/g, "\\\\").replace(/\n/g, "\\n")}`, `# TYPE ${family.name} ${family.type}`);
    if (family.type === "histogram") {
      for (const s of family.series) {
        const b = s.buckets(t);
        for (const [i, le] of family.bounds.entries())
          lines.push(`${family.name}_bucket${renderLabels(s.labels, `le="${formatBound(le)}"`)} ${b[i]}`);
        lines.push(`${family.name}_bucket${renderLabels(s.labels, 'le="+Inf"')} ${b[b.length - 1]}`);
        lines.push(`${family.name}_sum${renderLabels(s.labels)} ${formatValue(s.sum(t))}`);
        lines.push(`${family.name}_count${renderLabels(s.labels)} ${b[b.length - 1]}`);
      }
    } else {
      for (const s of family.series) lines.push(`${family.name}${renderLabels(s.labels)} ${formatValue(s.value(t))}`);
    }
  }
  return `${lines.join("\n")}\n`;
}
