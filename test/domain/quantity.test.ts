import assert from "node:assert/strict";
import { describe, it } from "node:test";
import {
  compareDecimals,
  decimalFromNumber,
  formatDecimalQuantity,
  formatMilliQuantity,
  formatQuantity,
  parseQuantity,
} from "../../src/domain/quantity.ts";
import { InvalidInputError } from "../../src/domain/errors.ts";

describe("formatQuantity (canonical DecimalSI)", () => {
  const table: Array<[number, string]> = [
    [0, "0"],
    [-0, "0"],
    [0.009, "9m"],
    [1.5, "1500m"],
    [294, "294"],
    [296.875, "296875m"],
    [2000, "2k"],
    [73.492, "73492m"],
    [1e-9, "1n"],
    [1e-6, "1u"],
    [0.0015, "1500u"],
    [1000, "1k"],
    [1e6, "1M"],
    [1500000, "1500k"],
    [1e9, "1G"],
    [1e12, "1T"],
    [1e15, "1P"],
    [1e18, "1E"],
    [1.5e20, "150E"],
    // Above E there is no suffix: exponent form (what upstream emits since the fix
    // of the dropped-magnitude bug, where 1e21 used to come out as "1").
    [1e21, "1e21"],
    [1e22, "10e21"],
    [Number.MAX_SAFE_INTEGER, "9007199254740991"],
    [-1.5, "-1500m"],
    [-2000, "-2k"],
    [-0.009, "-9m"],
    // More precise than nano: rounded up (away from zero) to nano.
    [1e-10, "1n"],
    [-1e-10, "-1n"],
    [1.0000000001, "1000000001n"],
    [0.1234567891234, "123456790n"],
    // Binary noise of doubles never reaches the wire.
    [0.1 + 0.2, "300m"],
    [0.1 * 3, "300m"],
    [1.1 * 1.1, "1210m"],
    [296.875 + 1e-13, "296875m"],
    [12.5, "12500m"],
    [120, "120"],
    [3.3333333333333335, "3333333334n"],
  ];
  for (const [value, expected] of table) {
    it(`${value} → ${expected}`, () => assert.equal(formatQuantity(value), expected));
  }

  it("rejects NaN and infinities instead of inventing a value", () => {
    assert.throws(() => formatQuantity(Number.NaN), RangeError);
    assert.throws(() => formatQuantity(Number.POSITIVE_INFINITY), RangeError);
    assert.throws(() => formatQuantity(Number.NEGATIVE_INFINITY), RangeError);
  });

  it("formats exact decimals beyond double precision", () => {
    assert.equal(formatDecimalQuantity({ mantissa: 123456789012345678901234567890n, exponent: -3 }), "123456789012345678901234567890m");
    assert.equal(formatDecimalQuantity({ mantissa: 5n, exponent: 30 }), "5e30");
    assert.equal(formatDecimalQuantity({ mantissa: 5n, exponent: 31 }), "50e30");
  });
});

describe("parseQuantity", () => {
  const table: Array<[string, string]> = [
    ["0", "0"],
    ["1", "1"],
    ["+3", "3"],
    ["-3", "-3"],
    ["1.5", "1500m"],
    [".5", "500m"],
    ["5.", "5"],
    ["100m", "100m"],
    ["1000m", "1"],
    ["9m", "9m"],
    ["1n", "1n"],
    ["0.1n", "1n"],
    ["-0.1n", "-1n"],
    ["1u", "1u"],
    ["1k", "1k"],
    ["1M", "1M"],
    ["1G", "1G"],
    ["1T", "1T"],
    ["1P", "1P"],
    ["1E", "1E"],
    ["1000E", "1e21"],
    ["1Ki", "1024"],
    ["1Mi", "1048576"],
    ["1.5Gi", "1610612736"],
    ["1Ti", "1099511627776"],
    ["1Pi", "1125899906842624"],
    ["1Ei", "1152921504606846976"],
    ["0.5Ki", "512"],
    ["8Ei", "9223372036854775807"], // BinarySI is capped at 2^63-1
    ["1e3", "1k"],
    ["1E3", "1k"],
    ["1e-3", "1m"],
    ["1e+3", "1k"],
    ["15e-1", "1500m"],
    ["296875m", "296875m"],
  ];
  for (const [text, canonical] of table) {
    it(`${text} → ${canonical}`, () => assert.equal(formatDecimalQuantity(parseQuantity(text)), canonical));
  }

  for (const bad of ["", " ", "m", "abc", "1.2.3", "1x", "1Kb", "1e", "1e3.5", "--1", "1 k", "0x10", "NaN", "Infinity", "1e1000000000"]) {
    it(`rejects ${JSON.stringify(bad)}`, () => assert.throws(() => parseQuantity(bad), InvalidInputError));
  }
});

describe("round trip", () => {
  it("parse(format(x)) equals x (after nano rounding) for many values", () => {
    const values: number[] = [];
    for (let i = -40; i <= 40; i++) {
      values.push(1.5 * 10 ** (i / 2), -7.25 * 10 ** (i / 3), 10 ** i);
    }
    values.push(296.875, 73.492, 0.009, 2000, 294, 0.1 + 0.2, Number.MAX_SAFE_INTEGER, 1e21, 1.5e20);
    for (const v of values) {
      const text = formatQuantity(v);
      const back = parseQuantity(text);
      const expected = decimalFromNumber(v);
      // Values below nano are rounded up; compare what the format kept.
      if (Math.abs(v) >= 1e-9 && expected.exponent >= -9) {
        assert.equal(compareDecimals(back, expected), 0, `${v} → ${text}`);
      }
      assert.equal(formatDecimalQuantity(back), text, `canonical text must be stable: ${text}`);
    }
  });

  it("canonical strings survive format(parse(s)) unchanged", () => {
    for (const s of [
      "0",
      "9m",
      "1500m",
      "294",
      "296875m",
      "2k",
      "73492m",
      "1n",
      "1E",
      "150E",
      "1e21",
      "-1n",
      "-1500m",
      "999999999n",
      "1001k",
    ]) {
      assert.equal(formatDecimalQuantity(parseQuantity(s)), s);
    }
  });
});

describe("formatMilliQuantity (smi-sdk-go's NewMilliQuantity(int64(v*1000)))", () => {
  const table: Array<[number, string]> = [
    [56.395488361, "56395m"],
    [1.3846153846, "1384m"],
    [0, "0"],
    [240, "240"],
    [2000, "2k"],
    [1.5, "1500m"],
    [0.0009, "0"],
    [0.0019, "1m"],
    [98.387096775, "98387m"],
    [28.235294118, "28235m"],
    // The float product is truncated, as Go truncates it: 1.005 * 1000 is 1004.9999999999999.
    [1.005, "1004m"],
    [-1.3846, "-1384m"],
    [1e16, "10P"],
  ];
  for (const [value, text] of table) {
    it(`${value} → ${text}`, () => assert.equal(formatMilliQuantity(value), text));
  }
  it("refuses NaN and infinities", () => {
    for (const v of [Number.NaN, Infinity, -Infinity]) assert.throws(() => formatMilliQuantity(v), RangeError);
  });
});
