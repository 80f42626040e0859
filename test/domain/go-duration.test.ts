// Go's time.ParseDuration and Duration.String(), checked against the values
// Go's own documentation and tests give for them.

import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { InvalidInputError } from "../../src/domain/errors.ts";
import { formatGoDuration, formatWindowAsGo, GoDurationSyntaxError, parseGoDuration, parseGoWindow } from "../../src/domain/go-duration.ts";

const S = 1_000_000_000n;
const MAX = (1n << 63n) - 1n;

describe("Go durations", () => {
  const valid: Array<[string, bigint]> = [
    ["0", 0n],
    ["-0", 0n],
    ["+0", 0n],
    ["5s", 5n * S],
    ["1478s", 1478n * S],
    ["-5s", -5n * S],
    ["+5s", 5n * S],
    ["5.0s", 5n * S],
    ["5.6s", 5_600_000_000n],
    ["5.s", 5n * S],
    [".5s", 500_000_000n],
    ["1.004s", 1_004_000_000n],
    ["100.00100s", 100_001_000_000n],
    ["10ns", 10n],
    ["11us", 11_000n],
    ["12µs", 12_000n],
    ["12μs", 12_000n],
    ["13ms", 13_000_000n],
    ["15m", 900n * S],
    ["16h", 16n * 3600n * S],
    ["3h30m", 12_600n * S],
    ["10.5s4m", 250_500_000_000n],
    ["-2m3.4s", -123_400_000_000n],
    ["1h2m3s4ms5us6ns", 3723n * S + 4_005_006n],
    ["39h9m14.425s", 140_954n * S + 425_000_000n],
    ["1.5m", 90n * S],
    ["90000ms", 90n * S],
    ["1h0m0s", 3600n * S],
    ["1m1m", 120n * S],
    ["0.3333333333333333333h", 1200n * S],
    ["9223372036854775807ns", MAX],
    ["9223372036854775.807us", MAX],
    ["9223372036s854ms775us807ns", MAX],
    ["-9223372036854775808ns", -(1n << 63n)],
    ["0.100000000000000000000h", 360n * S],
    ["0.830103483285477580700h", 2988n * S + 372_539_827n],
  ];
  for (const [text, ns] of valid) {
    it(`parses ${JSON.stringify(text)}`, () => assert.equal(parseGoDuration(text), ns));
  }

  for (const bad of [
    "",
    "3",
    "-",
    "s",
    ".",
    "-.",
    ".s",
    "+.s",
    "1d",
    "30S",
    "1h 30m",
    " 1h",
    "\u0085\u0085",
    "9223372036854775808ns",
    "9223372036854775.808us",
    "9223372036s854ms775us808ns",
  ]) {
    it(`refuses ${JSON.stringify(bad)}`, () => assert.throws(() => parseGoDuration(bad), GoDurationSyntaxError));
  }

  const printed: Array<[bigint, string]> = [
    [0n, "0s"],
    [1n, "1ns"],
    [1100n, "1.1µs"],
    [2_200_000n, "2.2ms"],
    [3_300_000_000n, "3.3s"],
    [245n * S, "4m5s"],
    [245n * S + 1_000_000n, "4m5.001s"],
    [18_367n * S + 1_000_000n, "5h6m7.001s"],
    [480n * S + 1n, "8m0.000000001s"],
    [MAX, "2562047h47m16.854775807s"],
    [-(1n << 63n), "-2562047h47m16.854775808s"],
    [30n * S, "30s"],
    [90n * S, "1m30s"],
    [3600n * S, "1h0m0s"],
    [720n * 3600n * S, "720h0m0s"],
  ];
  for (const [ns, text] of printed) {
    it(`prints ${ns} as ${text}`, () => assert.equal(formatGoDuration(ns), text));
  }
});

describe("windows in Go syntax", () => {
  it("accepts Go's forms and meshql's days, and prints them back as Go does", () => {
    for (const [text, seconds, back] of [
      ["1.5m", 90, "1m30s"],
      ["90000ms", 90, "1m30s"],
      ["1h0m0s", 3600, "1h0m0s"],
      ["30s", 30, "30s"],
      ["5m", 300, "5m0s"],
      ["2d", 172_800, "48h0m0s"],
      ["720h", 2_592_000, "720h0m0s"],
    ] as const) {
      const w = parseGoWindow(text, "t");
      assert.equal(w.seconds, seconds, text);
      assert.equal(formatWindowAsGo(w), back, text);
    }
  });

  for (const [bad, why] of [
    ["", /not a duration/],
    ["banana", /not a duration/],
    ["0", /positive/],
    ["-5m", /positive/],
    ["1.5s", /whole number of seconds/],
    ["720h1s", /30 day/],
    ["2562047h", /30 day/],
    ["99999999999999999999h", /not a duration/],
  ] as const) {
    it(`refuses the window ${JSON.stringify(bad)} naming the field`, () => {
      assert.throws(
        () => parseGoWindow(bad, "t"),
        (e: unknown) => e instanceof InvalidInputError && e.field === "t" && why.test(e.message) && e.message.startsWith("t "),
      );
    });
  }
});
