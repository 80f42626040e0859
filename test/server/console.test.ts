// The people's pages as HTTP sees them: the console at /, the GraphQL IDE for
// browsers at GET /graphql (never Apollo's CDN landing page), clients' GET and
// POST queries untouched, the --graphql-ide switch, and pages that need no
// user while every query they send does. Needs the web build (npm test makes it).

import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { parseServeOptions, UsageError } from "../../src/cli/options.ts";
import { UnauthenticatedError } from "../../src/domain/errors.ts";
import { buildApp } from "../../src/server/app.ts";
import { findWebDir } from "../../src/server/console.ts";
import type { Gateway } from "../../src/server/gateway.ts";
import { freePort } from "../harness/prometheus.ts";
import { testGateway } from "../support/gateway.ts";

const HTML = { accept: "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8" };

describe("console and IDE routes", () => {
  let gateway: Gateway;
  let noIde: Gateway;
  before(async () => {
    assert.ok(findWebDir(), "the web build exists (npm run build:web)");
    // Nothing here reaches the backend: a closed port will do.
    const backend = `http://127.0.0.1:${await freePort()}`;
    gateway = await testGateway(backend, "linkerd");
    noIde = await testGateway(backend, "linkerd", { graphqlIde: false });
  });
  after(async () => {
    await gateway?.close();
    await noIde?.close();
  });

  it("serves the console at / with its assets, allowing nothing from elsewhere", async () => {
    const page = await gateway.app.inject({ method: "GET", url: "/", headers: HTML });
    assert.equal(page.statusCode, 200);
    assert.match(page.headers["content-type"] as string, /text\/html/);
    assert.match(page.body, /<title>meshql console<\/title>/);
    assert.match(page.headers["content-security-policy"] as string, /default-src 'self'.*connect-src 'self'/);
    assert.doesNotMatch(page.body, /https?:\/\//, "the page names no other host");
    const script = /src="\.\/(assets\/[^"]+\.js)"/.exec(page.body)?.[1];
    assert.ok(script, "the page loads a bundled script by a relative path");
    const asset = await gateway.app.inject({ method: "GET", url: `/${script}` });
    assert.equal(asset.statusCode, 200);
    assert.match(asset.headers["content-type"] as string, /javascript/);
    assert.match(asset.headers["cache-control"] as string, /immutable/);
    assert.equal((await gateway.app.inject({ method: "GET", url: "/assets/nothing.js" })).statusCode, 404);
  });

  it("serves GraphiQL to a browser at GET /graphql, and queries to clients", async () => {
    const ide = await gateway.app.inject({ method: "GET", url: "/graphql", headers: HTML });
    assert.equal(ide.statusCode, 200);
    assert.match(ide.body, /<title>meshql GraphQL IDE<\/title>/);
    assert.doesNotMatch(ide.body, /apollo|cdn\./i);

    const post = await gateway.app.inject({
      method: "POST",
      url: "/graphql",
      headers: { "content-type": "application/json" },
      payload: { query: "{ __typename }" },
    });
    assert.deepEqual(post.json(), { data: { __typename: "Query" } });
    // A GET with a query is a client's request even from a browser; Apollo's CSRF rule wants a preflight header.
    const get = await gateway.app.inject({
      method: "GET",
      url: "/graphql?query=%7B__typename%7D",
      headers: { ...HTML, "apollo-require-preflight": "true" },
    });
    assert.deepEqual(get.json(), { data: { __typename: "Query" } });
  });

  it("with --graphql-ide=false, shows no IDE and no Apollo landing page", async () => {
    const page = await noIde.app.inject({ method: "GET", url: "/graphql", headers: HTML });
    assert.notEqual(page.statusCode, 200);
    assert.doesNotMatch(page.body, /GraphQL IDE|graphiql|apollo.*sandbox|embeddable/i);
    const post = await noIde.app.inject({
      method: "POST",
      url: "/graphql",
      headers: { "content-type": "application/json" },
      payload: { query: "{ __typename }" },
    });
    assert.deepEqual(post.json(), { data: { __typename: "Query" } });
  });

  it("needs no user for the pages, and one for every query", async () => {
    const app = await buildApp({
      service: gateway.service,
      metrics: gateway.metrics,
      readiness: [],
      authenticate: async () => {
        throw new UnauthenticatedError("no credentials");
      },
    });
    try {
      assert.equal((await app.inject({ method: "GET", url: "/", headers: HTML })).statusCode, 200);
      assert.equal((await app.inject({ method: "GET", url: "/graphql", headers: HTML })).statusCode, 200);
      const query = await app.inject({
        method: "POST",
        url: "/graphql",
        headers: { "content-type": "application/json" },
        payload: { query: "{ __typename }" },
      });
      assert.equal(query.statusCode, 401);
      assert.equal(query.json().errors[0].extensions.code, "UNAUTHENTICATED");
      // A browser that asks /graphql for a query, or for a persisted one by its hash, is not served the page.
      const hash = "ecf4edb46db40b5132295c0291d62fb65d6759a9eedfa4d5d612dd5ec54a6b38";
      const persisted = encodeURIComponent(JSON.stringify({ persistedQuery: { version: 1, sha256Hash: hash } }));
      for (const url of ["/graphql?query=%7B__typename%7D", `/graphql?extensions=${persisted}`]) {
        const get = await app.inject({ method: "GET", url, headers: { ...HTML, "apollo-require-preflight": "true" } });
        assert.equal(get.statusCode, 401, url);
      }
    } finally {
      await app.close();
    }
  });
});

describe("--graphql-ide", () => {
  it("is on by default, and off with false from the flag or the environment", () => {
    assert.equal(parseServeOptions({}, {}).graphqlIde, true);
    assert.equal(parseServeOptions({ "graphql-ide": "false" }, {}).graphqlIde, false);
    assert.equal(parseServeOptions({}, { MESHQL_GRAPHQL_IDE: "false" }).graphqlIde, false);
    assert.throws(
      () => parseServeOptions({ "graphql-ide": "no" }, {}),
      (e: unknown) => e instanceof UsageError && /true or false/.test(e.message),
    );
  });
});
