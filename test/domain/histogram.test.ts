// histogramQuantile (src/domain/histogram.ts) against Prometheus 2.42's own
// histogram_quantile, case by case. Each case is one classic histogram: one
// sample per `le` series at AT, backfilled into a real Prometheus; both sides
// must give the same number for every q, NaN for NaN (and -0 for -0).
//
// The buckets are written as a gauge, not a histogram family, so they can be
// anything a PromQL expression could hand histogram_quantile: decreasing
// counts, no +Inf, bounds <= 0, and "1" next to "1.0" (distinct series that
// land in one group, whose bounds Prometheus parses to the same number).

import assert from "node:assert/strict";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { histogramQuantile, histogramQuantiles, type Bucket } from "../../src/domain/histogram.ts";
import { PrometheusClient } from "../../src/prometheus/client.ts";
import { T0 } from "../fixtures/topology.ts";
import { startPrometheus, type PrometheusInstance } from "../harness/prometheus.ts";

interface HistogramCase {
  readonly name: string;
  /** `le` label values as written, with their cumulative counts. */
  readonly buckets: ReadonlyArray<readonly [le: string, count: number]>;
}

const CASES: readonly HistogramCase[] = [
  {
    name: "ordinary interpolation",
    buckets: [
      ["0.5", 1],
      ["1", 4],
      ["2.5", 9],
      ["5", 15],
      ["10", 19],
      ["+Inf", 20],
    ],
  },
  {
    name: "empty: all zero",
    buckets: [
      ["0.5", 0],
      ["1", 0],
      ["+Inf", 0],
    ],
  },
  {
    name: "rank in the +Inf bucket",
    buckets: [
      ["1", 2],
      ["2", 4],
      ["+Inf", 10],
    ],
  },
  {
    name: "first buckets le=-1 and le=0",
    buckets: [
      ["-1", 2],
      ["0", 5],
      ["1", 8],
      ["+Inf", 10],
    ],
  },
  {
    name: "first bucket le=0",
    buckets: [
      ["0", 3],
      ["1", 6],
      ["+Inf", 6],
    ],
  },
  {
    name: "empty first bucket (q=0 divides 0 by 0)",
    buckets: [
      ["1", 0],
      ["2", 5],
      ["+Inf", 5],
    ],
  },
  {
    name: "non-monotonic counts",
    buckets: [
      ["1", 8],
      ["2", 2],
      ["5", 16],
      ["10", 15],
      ["+Inf", 20],
    ],
  },
  {
    name: "le 1 and 1.0 coalesce",
    buckets: [
      ["1", 2],
      ["1.0", 3],
      ["5", 7],
      ["+Inf", 10],
    ],
  },
  {
    name: "buckets out of order",
    buckets: [
      ["+Inf", 10],
      ["5", 7],
      ["1", 5],
    ],
  },
  {
    name: "no +Inf bucket",
    buckets: [
      ["1", 2],
      ["5", 7],
    ],
  },
  { name: "only +Inf", buckets: [["+Inf", 4]] },
];

const QS = [0, 0.25, 0.5, 0.9, 0.99, 1];
const AT = T0;
const METRIC = "meshql_quantile_case";

function openMetrics(): string {
  const lines = [`# TYPE ${METRIC} gauge`];
  for (const c of CASES) {
    for (const [le, count] of c.buckets) lines.push(`${METRIC}{case="${c.name}",le="${le}"} ${count} ${AT}`);
  }
  lines.push("# EOF");
  return `${lines.join("\n")}\n`;
}

const bucketsOf = (c: HistogramCase): Bucket[] =>
  c.buckets.map(([le, count]) => ({ le: le === "+Inf" ? Number.POSITIVE_INFINITY : Number(le), count }));

let dir: string;
let prom: PrometheusInstance;
/** Prometheus' answer per q, by case name. */
const answers = new Map<number, Map<string, number>>();

before(async () => {
  dir = await mkdtemp(join(tmpdir(), "meshql-quantile-"));
  const file = join(dir, "cases.om");
  await writeFile(file, openMetrics());
  prom = await startPrometheus({ openMetricsFiles: [file] });
  const client = new PrometheusClient({ baseUrl: prom.url });
  for (const q of QS) {
    const rows = await client.query(`histogram_quantile(${q}, ${METRIC})`, new Date(AT * 1000));
    answers.set(q, new Map(rows.map((r) => [r.labels.case ?? "", r.value])));
  }
});

after(async () => {
  await prom?.stop();
  if (dir) await rm(dir, { recursive: true, force: true });
});

describe("histogramQuantile equals Prometheus' histogram_quantile", () => {
  for (const c of CASES) {
    it(c.name, () => {
      const prometheus = QS.map((q) => answers.get(q)?.get(c.name));
      const meshql = QS.map((q) => histogramQuantile(q, bucketsOf(c)));
      assert.deepEqual(meshql, prometheus, `q = ${QS.join(", ")}`);
      // All quantiles from one sort give the same numbers.
      assert.deepEqual(histogramQuantiles(QS, bucketsOf(c)), prometheus, `one sort, q = ${QS.join(", ")}`);
    });
  }

  it("is compared with real answers, not with NaN everywhere", () => {
    // Hand-computed: rank 10 of 20 lies in (2.5, 5], 1 of its 6 observations in.
    assert.equal(answers.get(0.5)?.get("ordinary interpolation"), 2.5 + 2.5 * (1 / 6));
    // The coalesced bucket <= 1 holds 5 of 10: q = 0.5 is its upper bound.
    assert.equal(answers.get(0.5)?.get("le 1 and 1.0 coalesce"), 1);
    assert.equal(answers.get(0.9)?.get("rank in the +Inf bucket"), 2);
    assert.equal(answers.get(0.25)?.get("first bucket le=0"), 0);
  });
});
