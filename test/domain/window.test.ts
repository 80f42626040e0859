import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { InvalidInputError } from "../../src/domain/errors.ts";
import { formatWindow, parseWindow } from "../../src/domain/window.ts";

describe("windows", () => {
  it("parses whole units, largest first", () => {
    assert.equal(parseWindow("30s").seconds, 30);
    assert.equal(parseWindow("5m").seconds, 300);
    assert.equal(parseWindow("1h30m").seconds, 5400);
    assert.equal(parseWindow("1d2h").seconds, 93600);
    assert.equal(parseWindow("5m0s").seconds, 300, "Go's form, which SMI clients echo");
    assert.equal(parseWindow("30d").seconds, 30 * 86400);
  });

  for (const bad of ["abc", "", "0s", "-1m", "400d", "31d", "1.5m", "30", "m", "5m1h", "1h 30m", "30S"]) {
    it(`rejects ${JSON.stringify(bad)} with the field named`, () => {
      assert.throws(
        () => parseWindow(bad, "window"),
        (e: unknown) => e instanceof InvalidInputError && e.field === "window" && e.message.includes("window"),
      );
    });
  }

  it("formats canonically", () => {
    assert.equal(formatWindow(parseWindow("90s")), "1m30s");
    assert.equal(formatWindow(parseWindow("1h30m")), "1h30m");
  });
});
