// The arguments every `series` field takes, in one place so their defaults
// and descriptions cannot drift apart.

import { ArgsType, Field } from "type-graphql";
import { DateTimeScalar, DurationScalar } from "./scalars.ts";

@ArgsType()
export class SeriesArgs {
  @Field(() => DurationScalar, { defaultValue: "1m", description: "Each point's metrics are over this window, ending at the point." })
  window!: string;
  @Field(() => DurationScalar, { defaultValue: "1h", description: "How far back the points reach from `at`." })
  range!: string;
  @Field(() => DurationScalar, {
    nullable: true,
    description:
      "Time between points; default: about 60 points, never below the scrape interval. At most 1,000 points. Points are aligned " +
      "to multiples of step.",
  })
  step?: string | null;
  @Field(() => DateTimeScalar, { nullable: true, description: "The end of the series; default now." })
  at?: Date | null;
}

export const SERIES_HELP =
  "The golden metrics at points `step` apart over `range`, ending at `at`. A point without traffic has null rates and latency; a " +
  "step before the backend has any data is left out. null when the backend failed.";
