import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { InvalidInputError } from "../../src/domain/errors.ts";
import { resourceRef } from "../../src/domain/resource.ts";
import { parseAt } from "../../src/domain/time.ts";

describe("resource references", () => {
  it("accepts DNS-1123 names", () => {
    assert.deepEqual(resourceRef("DEPLOYMENT", "emojivoto", "web-1.v2"), { kind: "DEPLOYMENT", namespace: "emojivoto", name: "web-1.v2" });
    assert.deepEqual(resourceRef("NAMESPACE", undefined, "emojivoto"), { kind: "NAMESPACE", namespace: null, name: "emojivoto" });
  });

  const bad: Array<[string, string | null, string]> = [
    ["quote and brace", "emojivoto", 'web"}'],
    ["upper case", "emojivoto", "Web"],
    ["300 characters", "emojivoto", "a".repeat(300)],
    ["regex metacharacters", "emojivoto", "web.*|x"],
    ["non-ASCII", "emojivoto", "wéb"],
    ["bad namespace", "Emoji", "web"],
    ["namespace with a dot", "a.b", "web"],
    ["missing namespace", null, "web"],
  ];
  for (const [what, ns, name] of bad) {
    it(`rejects ${what}`, () => {
      assert.throws(() => resourceRef("DEPLOYMENT", ns, name), InvalidInputError);
    });
  }
});

describe("evaluation times", () => {
  const now = new Date("2026-11-01T12:00:00Z");
  it("reads RFC 3339 and unix seconds", () => {
    assert.equal(parseAt("2026-11-01T11:00:00Z", now).toISOString(), "2026-11-01T11:00:00.000Z");
    assert.equal(parseAt("2026-11-01T13:00:00+02:00", now).toISOString(), "2026-11-01T11:00:00.000Z");
    assert.equal(parseAt("1793530800", now).getTime(), 1793530800_000);
  });
  it("rejects the future and garbage", () => {
    assert.throws(() => parseAt("2026-11-01T12:10:00Z", now), /in the future/);
    assert.throws(() => parseAt("yesterday", now), InvalidInputError);
    assert.throws(() => parseAt("2026-13-45T00:00:00Z", now), InvalidInputError);
  });
});
