import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { InvalidInputError } from "../../src/domain/errors.ts";
import { matchesSelector, parseSelector } from "../../src/domain/selector.ts";

const labels = { app: "web", tier: "frontend", "app.kubernetes.io/version": "v2" };
const match = (s: string): boolean => matchesSelector(parseSelector(s), labels);

describe("label selectors (kubectl syntax)", () => {
  it("evaluates every operator", () => {
    assert.equal(match("app=web"), true);
    assert.equal(match("app==web"), true);
    assert.equal(match("app!=web"), false);
    assert.equal(match("app in (web, emoji)"), true);
    assert.equal(match("app notin (web)"), false);
    assert.equal(match("tier"), true);
    assert.equal(match("!tier"), false);
    assert.equal(match("!missing"), true);
    assert.equal(match("missing!=x"), true, "!= matches objects without the label, as Kubernetes does");
    assert.equal(match("app=web,tier in (frontend),app.kubernetes.io/version=v2"), true);
    assert.equal(match("app=web,tier=backend"), false);
    assert.equal(match(""), true);
  });
  for (const bad of ["app=", "=web", "app in ()", "app in (web", "a b c", "app=we b", 'app="web"', ",", "app=web,", "Bad_Prefix/app=x"]) {
    it(`rejects ${JSON.stringify(bad)}`, () => {
      if (bad === "app=") {
        // An empty value is legal in Kubernetes: it selects objects whose label is empty.
        assert.equal(matchesSelector(parseSelector(bad), { app: "" }), true);
        return;
      }
      assert.throws(() => parseSelector(bad), InvalidInputError);
    });
  }
});
