// A compact decoder for the common case of a /api/v1/query answer: a success
// envelope around a vector, written without whitespace or escapes, as
// Prometheus and VictoriaMetrics write it. It builds one labels object and one
// number per sample, nothing else: no envelope objects, no [time, "value"]
// arrays, and every label name and value is one shared string per answer
// instead of a copy per sample (a namespace's answer repeats the same few
// thousand names hundreds of thousands of times). Anything else it declines
// (null), and the caller takes JSON.parse's general path.

import type { Sample } from "./client.ts";

const HEAD = '{"status":"success",';
const DATA = '"data":{"resultType":"vector","result":[';
const METRIC = '{"metric":{';
const VALUE = ',"value":[';

/** The samples, or null when the text is not a compact vector success answer. */
export function decodeVector(text: string): Sample[] | null {
  if (!text.startsWith(HEAD) || text.includes("\\")) return null;
  let i = HEAD.length;
  // VictoriaMetrics says whether the answer is partial before the data.
  if (text.startsWith('"isPartial":false,', i)) i += '"isPartial":false,'.length;
  if (!text.startsWith(DATA, i)) return null;
  i += DATA.length;
  const strings = new Map<string, string>();
  /** The string from the quote at `from` to the next quote, shared per answer. */
  const shared = (from: number, to: number): string => {
    const slice = text.slice(from, to);
    let s = strings.get(slice);
    if (s === undefined) {
      // A copy, not a slice: a slice could keep the whole answer text alive for as long as the labels live.
      s = Buffer.from(slice, "utf8").toString("utf8");
      strings.set(s, s);
    }
    return s;
  };
  // The previous sample's names and values by position: the next sample mostly repeats
  // them (every name, the namespace, the class), and a match is checked in place, with no slice.
  const lastKeys: string[] = [];
  const lastValues: string[] = [];
  const at = (last: string[], j: number, from: number, to: number): string => {
    const prev = last[j];
    if (prev !== undefined && prev.length === to - from && text.startsWith(prev, from)) return prev;
    return (last[j] = shared(from, to));
  };
  const out: Sample[] = [];
  if (text.charCodeAt(i) === 93 /* ] */) {
    i++;
  } else {
    for (;;) {
      if (!text.startsWith(METRIC, i)) return null;
      i += METRIC.length;
      const labels: Record<string, string> = {};
      if (text.charCodeAt(i) === 125 /* } */) {
        i++;
      } else {
        for (let j = 0; ; j++) {
          if (text.charCodeAt(i) !== 34 /* " */) return null;
          const keyEnd = text.indexOf('"', i + 1);
          if (keyEnd < 0 || text.charCodeAt(keyEnd + 1) !== 58 /* : */ || text.charCodeAt(keyEnd + 2) !== 34) return null;
          const valueEnd = text.indexOf('"', keyEnd + 3);
          if (valueEnd < 0) return null;
          const key = at(lastKeys, j, i + 1, keyEnd);
          if (key === "__proto__") return null; // an own property for JSON.parse, the prototype for an assignment
          labels[key] = at(lastValues, j, keyEnd + 3, valueEnd);
          i = valueEnd + 1;
          const next = text.charCodeAt(i++);
          if (next === 125 /* } */) break;
          if (next !== 44 /* , */) return null;
        }
      }
      if (!text.startsWith(VALUE, i)) return null;
      // The time: a JSON number up to the comma; the value: a string.
      const comma = text.indexOf(",", i + VALUE.length);
      if (comma < 0 || text.charCodeAt(comma + 1) !== 34) return null;
      const valueEnd = text.indexOf('"', comma + 2);
      if (valueEnd < 0 || text.charCodeAt(valueEnd + 1) !== 93 /* ] */ || text.charCodeAt(valueEnd + 2) !== 125 /* } */) return null;
      if (!Number.isFinite(Number(text.slice(i + VALUE.length, comma)))) return null;
      // A value that is no number is the general path's error to report.
      const value = sampleNumber(text.slice(comma + 2, valueEnd));
      if (value === null) return null;
      out.push({ labels, value });
      i = valueEnd + 3;
      const next = text.charCodeAt(i++);
      if (next === 93 /* ] */) break;
      if (next !== 44 /* , */) return null;
    }
  }
  // The end of the data object, then the rest of the envelope (warnings, stats) must be JSON.
  if (text.charCodeAt(i++) !== 125 /* } */) return null;
  const rest = text.slice(i);
  if (rest !== "}") {
    if (rest.charCodeAt(0) !== 44 /* , */) return null;
    try {
      JSON.parse(`{${rest.slice(1)}`);
    } catch {
      return null;
    }
  }
  return out;
}

/** A sample's value string as a number (Prometheus writes NaN, +Inf, -Inf), or null when it is none. */
export function sampleNumber(v: string): number | null {
  if (v === "NaN") return Number.NaN;
  if (v === "+Inf") return Number.POSITIVE_INFINITY;
  if (v === "-Inf") return Number.NEGATIVE_INFINITY;
  const n = Number(v);
  return v.trim() === "" || Number.isNaN(n) ? null : n;
}
