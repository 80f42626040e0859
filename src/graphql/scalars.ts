// Custom scalars. Duration is kept as text here and checked by the service, so
// a bad window gets the same BAD_USER_INPUT error from a literal or a variable.

import { GraphQLScalarType, Kind } from "graphql";
import { DateTimeResolver } from "graphql-scalars";
import { formatWindow, type Window } from "../domain/window.ts";

export const DurationScalar = new GraphQLScalarType<string, string>({
  name: "Duration",
  description:
    'A length of time in whole units, largest first: "30s", "5m", "1h30m", "2d". Positive, at most 30 days, and at least twice ' +
    "the backend's scrape interval.",
  serialize(value: unknown): string {
    if (typeof value === "string") return value;
    if (typeof value === "object" && value !== null && typeof (value as Window).seconds === "number") return formatWindow(value as Window);
    throw new TypeError("Duration cannot represent this value");
  },
  parseValue(value: unknown): string {
    if (typeof value !== "string") throw new TypeError('Duration must be a string such as "30s"');
    return value;
  },
  parseLiteral(ast): string {
    if (ast.kind !== Kind.STRING) throw new TypeError('Duration must be a string such as "30s"');
    return ast.value;
  },
});

export const DateTimeScalar = DateTimeResolver;
