// Identical documents are executed once: concurrent copies share the execution,
// repeats within the TTL come from the answer cache, and two users never share.
// Executions are counted where they start (one request scope each), not timed.
// Users come from a test header and a two-rule authorizer instead of Kubernetes:
// sharing only needs *who* asks, whatever proved it.

import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { print } from "graphql";
import type { FastifyInstance } from "fastify";
import { windowOfSeconds } from "../../src/domain/window.ts";
import { UnauthenticatedError } from "../../src/domain/errors.ts";
import { AnswerSharing } from "../../src/graphql/shared-execution.ts";
import { createAdapter } from "../../src/mesh/registry.ts";
import { CoalescingQuerier } from "../../src/prometheus/coalesce.ts";
import { PrometheusClient } from "../../src/prometheus/client.ts";
import { buildApp } from "../../src/server/app.ts";
import { GatewayMetrics } from "../../src/server/metrics.ts";
import type { Authorizer, UserInfo } from "../../src/service/access.ts";
import { BackendInventory } from "../../src/service/backend-inventory.ts";
import { MeshqlService } from "../../src/service/service.ts";
import { linkerd } from "../../src/demo/traffic/linkerd.ts";
import { HISTORY, SHOP, STEP, T0_DATE, topologyModel } from "../fixtures/topology.ts";
import { NamespaceOverviewDocument } from "../generated/graphql.ts";
import { startPrometheus, type PrometheusInstance } from "../harness/prometheus.ts";

const USERS: Record<string, UserInfo> = {
  alice: { username: "alice", groups: ["shop-team"] },
  bob: { username: "bob", groups: ["others"] },
};
/** alice may read shop; bob may read nothing. */
const authorizer: Authorizer = { allowed: async (user, checks) => checks.map((c) => user.username === "alice" && c.namespace === SHOP) };

let prometheus: PrometheusInstance;
let app: FastifyInstance;
let metrics: GatewayMetrics;
let scopes = 0;
let clockMs = T0_DATE.getTime();

before(async () => {
  prometheus = await startPrometheus({ model: topologyModel(), formats: [linkerd], ...HISTORY });
  const backend = new CoalescingQuerier(new PrometheusClient({ baseUrl: prometheus.url, timeoutMs: 10_000 }), {
    ttlMs: 0,
    maxEntries: 100,
  });
  const service = new MeshqlService(
    { adapter: createAdapter("linkerd", backend, null), inventory: new BackendInventory(), authorizer },
    {
      defaultWindow: windowOfSeconds(60),
      scrapeInterval: windowOfSeconds(STEP),
      seenLookback: windowOfSeconds(3600),
      maxBatchesPerRequest: 64,
      clock: () => new Date(clockMs),
    },
  );
  // Every execution creates one request scope: counting them counts executions.
  const scope = service.scope.bind(service);
  service.scope = (user) => {
    scopes++;
    return scope(user);
  };
  metrics = new GatewayMetrics({ processMetrics: false });
  app = await buildApp({
    service,
    metrics,
    readiness: [],
    sharing: new AnswerSharing({ ttlMs: 60_000, maxBytes: 1 << 20 }),
    authenticate: async (request) => {
      const user = USERS[String(request.headers["x-test-user"])];
      if (!user) throw new UnauthenticatedError("unknown test user");
      return user;
    },
  });
});

after(async () => {
  await app?.close();
  await prometheus?.stop();
});

const QUERY = print(NamespaceOverviewDocument);

async function post(user: string, namespace = SHOP) {
  const response = await app.inject({
    method: "POST",
    url: "/graphql",
    headers: { "content-type": "application/json", "x-test-user": user },
    payload: { query: QUERY, variables: { namespace, window: "1m" } },
  });
  return {
    status: response.statusCode,
    body: response.body,
    json: response.json() as { data?: unknown; errors?: Array<{ extensions?: { code?: string } }> },
  };
}

async function documents(): Promise<Record<string, number>> {
  const values = (await metrics.graphqlDocuments.get()).values;
  return Object.fromEntries(values.map((v) => [String(v.labels.execution), v.value]));
}

describe("shared execution", () => {
  it("executes 16 concurrent identical documents once, and every copy gets the same answer", async () => {
    clockMs += 10_000 * STEP;
    const before = scopes;
    const answers = await Promise.all(Array.from({ length: 16 }, () => post("alice")));
    assert.equal(scopes - before, 1, "one execution");
    assert.ok(answers[0]!.json.data, "alice sees shop");
    assert.equal(answers[0]!.json.errors, undefined);
    for (const a of answers) assert.equal(a.body, answers[0]!.body);
    const counts = await documents();
    assert.equal(counts.executed, 1);
    assert.equal(counts.shared, 15);
  });

  it("answers a repeat within the TTL from the cache, and executes again at the next evaluation moment", async () => {
    const first = await post("alice");
    const before = scopes;
    const again = await post("alice");
    assert.equal(scopes - before, 0, "served from the cache");
    assert.equal(again.body, first.body);
    clockMs += STEP * 1000;
    await post("alice");
    assert.equal(scopes - before, 1, "a new moment is a new question");
  });

  it("never gives one user's answer to another, concurrently or from the cache", async () => {
    clockMs += STEP * 1000;
    const before = scopes;
    const [alice, bob] = await Promise.all([post("alice"), post("bob")]);
    assert.equal(scopes - before, 2, "one execution per user");
    assert.ok(alice.json.data && !alice.json.errors);
    assert.equal(bob.json.errors?.[0]?.extensions?.code, "FORBIDDEN");
    // alice's answer is cached now; bob still gets his own.
    const bobAgain = await post("bob");
    assert.equal(bobAgain.json.errors?.[0]?.extensions?.code, "FORBIDDEN");
    assert.notEqual(bobAgain.body, alice.body);
    assert.equal(scopes - before, 3, "bob's forbidden answer is not cached, alice's is not his");
  });

  it("executes different variables separately", async () => {
    clockMs += STEP * 1000;
    const before = scopes;
    const [shop, data] = await Promise.all([post("alice", SHOP), post("alice", "data")]);
    assert.equal(scopes - before, 2);
    assert.notEqual(shop.body, data.body);
  });
});
