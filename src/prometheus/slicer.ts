// Serves instant queries at the steps of one range from range queries: the
// first instant query of a PromQL text fetches its whole range once, and every
// step is then a slice of that answer. An adapter built on a slicer answers a
// time series with the queries of one instant question, and the same folding.

import { BackendError } from "./errors.ts";
import { type InstantQuerier, type QueryRange, type RangeQuerier, rangeSteps, type Sample } from "./client.ts";

export class RangeSlicer implements InstantQuerier {
  private readonly answers = new Map<string, Promise<Sample[][]>>();
  private readonly steps: number;

  constructor(
    private readonly backend: RangeQuerier,
    readonly range: QueryRange,
  ) {
    this.steps = rangeSteps(range);
  }

  /** The evaluation times of the range, oldest first. */
  times(): Date[] {
    return Array.from({ length: this.steps }, (_, i) => new Date(this.range.start.getTime() + i * this.range.stepSeconds * 1000));
  }

  async query(promql: string, at: Date): Promise<Sample[]> {
    const i = (at.getTime() - this.range.start.getTime()) / (this.range.stepSeconds * 1000);
    if (!Number.isInteger(i) || i < 0 || i >= this.steps) {
      // A programming error: the adapter was asked about a time outside the range it was built for.
      throw new BackendError("bad_query", `instant query at ${at.toISOString()} is not a step of the range`);
    }
    return (await this.sliced(promql))[i]!;
  }

  private sliced(promql: string): Promise<Sample[][]> {
    let answer = this.answers.get(promql);
    if (!answer) {
      answer = this.backend.queryRange(promql, this.range).then((series) => {
        const slices: Sample[][] = Array.from({ length: this.steps }, () => []);
        // A series without a point at a step is absent from that step's vector, as in an instant answer.
        for (const s of series) {
          s.values.forEach((value, i) => {
            if (!Number.isNaN(value)) slices[i]!.push({ labels: s.labels, value });
          });
        }
        return slices;
      });
      this.answers.set(promql, answer);
    }
    return answer;
  }
}
