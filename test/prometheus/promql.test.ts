import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { escapeRegex, eq, oneOf, quote, selector, startsWith } from "../../src/prometheus/promql.ts";

describe("PromQL quoting", () => {
  it("escapes backslashes, quotes and control characters", () => {
    assert.equal(quote('a"b\\c'), '"a\\"b\\\\c"');
    assert.equal(quote("x\ny"), '"x\\ny"');
    assert.equal(quote("\u0001"), '"\\x01"');
  });
  it("escapes regex metacharacters inside =~", () => {
    assert.equal(escapeRegex("a.b|c*"), "a\\.b\\|c\\*");
    assert.equal(selector("m", [oneOf("name", ["web.v1", "a|b"])]), 'm{name=~"a\\\\|b|web\\\\.v1"}');
  });
  it("matches literal prefixes, escaped, followed by anything", () => {
    assert.equal(selector("m", [startsWith("pod", ["web.v1-", "a|b-"])]), 'm{pod=~"(a\\\\|b-|web\\\\.v1-).+"}');
    assert.throws(() => startsWith("pod", []));
  });
  it("renders a single value as equality", () => {
    assert.equal(
      selector("response_total", [eq("direction", "inbound"), oneOf("deployment", ["web"])]),
      'response_total{direction="inbound",deployment="web"}',
    );
  });
  it("refuses label names that are not identifiers", () => {
    assert.throws(() => selector("m", [eq('a"}', "x")]));
  });
});
