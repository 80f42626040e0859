// A failing field stays in its field: one document asks a 1h window, whose
// queries a stalled (or refusing) backend never answers, next to a 5m window
// that works. The 5m data comes back; only the 1h fields carry
// BACKEND_UNAVAILABLE. The real Prometheus sits behind a loopback HTTP relay
// that holds or refuses the queries over [3600s] and forwards all others.

import assert from "node:assert/strict";
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import { after, before, describe, it } from "node:test";
import { windowOfSeconds } from "../../src/domain/window.ts";
import type { Gateway } from "../../src/server/gateway.ts";
import { linkerd } from "../../src/demo/traffic/linkerd.ts";
import { expectedEdges, expectedInbound } from "../fixtures/expected.ts";
import { HISTORY, REFS, T0, topologyModel } from "../fixtures/topology.ts";
import { startPrometheus, type PrometheusInstance } from "../harness/prometheus.ts";
import { captureLog, LEVEL, type CapturedLog } from "../support/log-capture.ts";
import { testGateway } from "../support/gateway.ts";

type Mode = "stall" | "refuse";

/** Forwards to Prometheus, except queries over an hour: held unanswered ("stall") or refused as Prometheus refuses heavy queries. */
class HourBlockingRelay {
  mode: Mode = "stall";
  private readonly held = new Set<ServerResponse>();
  private constructor(
    private readonly server: Server,
    readonly url: string,
  ) {}

  static async start(target: string): Promise<HourBlockingRelay> {
    let relay: HourBlockingRelay | undefined;
    const server = createServer((req, res) => void relay!.handle(target, req, res));
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    const address = server.address();
    relay = new HourBlockingRelay(server, `http://127.0.0.1:${typeof address === "object" && address ? address.port : 0}`);
    return relay;
  }

  private async handle(target: string, req: IncomingMessage, res: ServerResponse): Promise<void> {
    let body = "";
    for await (const chunk of req) body += String(chunk);
    if ((new URLSearchParams(body).get("query") ?? "").includes("[3600s]")) {
      if (this.mode === "stall") {
        this.held.add(res);
        res.on("close", () => this.held.delete(res));
        return;
      }
      res.writeHead(422, { "content-type": "application/json" });
      res.end(
        JSON.stringify({
          status: "error",
          errorType: "execution",
          error: "query processing would load too many samples into memory in query execution",
        }),
      );
      return;
    }
    const answer = await fetch(`${target}${req.url}`, {
      method: req.method,
      headers: { "content-type": String(req.headers["content-type"]) },
      body,
    });
    res.writeHead(answer.status, { "content-type": answer.headers.get("content-type") ?? "application/json" });
    res.end(await answer.text());
  }

  /** Resolves once the gateway gave up on every held query (a batch fails at its first failed query; its others time out later). */
  async drained(): Promise<void> {
    while (this.held.size > 0) await new Promise((resolve) => setTimeout(resolve, 50));
    await new Promise((resolve) => setTimeout(resolve, 50));
  }

  async stop(): Promise<void> {
    for (const res of this.held) res.destroy();
    this.server.closeAllConnections();
    await new Promise((resolve) => this.server.close(resolve));
  }
}

const DOCUMENT = `{
  resource(kind: DEPLOYMENT, namespace: "shop", name: "catalog") {
    name
    short: metrics(window: "5m") { requestCount }
    long: metrics(window: "1h") { requestCount }
    shortEdges: edges(window: "5m") { direction peer { namespace name } metrics { requestCount } }
    longEdges: edges(window: "1h") { peer { name } }
  }
}`;

interface Answer {
  data: {
    resource: {
      name: string;
      short: { requestCount: number } | null;
      long: { requestCount: number } | null;
      shortEdges: Array<{ direction: string; peer: { namespace: string; name: string }; metrics: { requestCount: number } | null }> | null;
      longEdges: unknown[] | null;
    } | null;
  };
  errors?: Array<{ path: string[]; extensions: { code: string; backendError?: string } }>;
}

const model = topologyModel();
let prometheus: PrometheusInstance;
let relay: HourBlockingRelay;
let gateway: Gateway;
let log: CapturedLog;

before(async () => {
  prometheus = await startPrometheus({ model, formats: [linkerd], ...HISTORY });
  relay = await HourBlockingRelay.start(prometheus.url);
  log = captureLog();
  // Listing what exists looks back 2h, so only the 1h fields touch the blocked queries.
  gateway = await testGateway(relay.url, "linkerd", { queryTimeoutMs: 1000, seenLookback: windowOfSeconds(7200), logger: log.logger });
});

after(async () => {
  await gateway?.close();
  await relay?.stop();
  await prometheus?.stop();
});

async function ask(): Promise<Answer> {
  const response = await gateway.app.inject({
    method: "POST",
    url: "/graphql",
    headers: { "content-type": "application/json" },
    payload: { query: DOCUMENT },
  });
  assert.equal(response.statusCode, 200);
  return response.json() as Answer;
}

const cases: Array<[Mode, string, number | undefined, RegExp]> = [
  ["stall", "timeout", undefined, /did not answer within 1000 ms/],
  ["refuse", "bad_query", 422, /too many samples/],
];

describe("a failing batch fails only its own fields", () => {
  for (const [mode, backendError, httpStatus, errorText] of cases) {
    it(`keeps the 5m fields when the backend ${mode === "stall" ? "stalls on" : "refuses"} the 1h queries`, async () => {
      relay.mode = mode;
      const before = log.lines().length;
      const { data, errors } = await ask();

      const catalog = data.resource;
      assert.ok(catalog, "the resource itself is not nulled by its failing fields");
      assert.equal(catalog.name, "catalog");
      assert.equal(catalog.short?.requestCount, expectedInbound(model, REFS.catalog, T0 - 300, T0).total);
      const want = expectedEdges(model, REFS.catalog, "DEPLOYMENT", T0 - 300, T0);
      assert.deepEqual(
        catalog.shortEdges?.map((e) => `${e.direction} ${e.peer.namespace}/${e.peer.name} ${e.metrics?.requestCount}`),
        want.map((e) => `${e.direction} ${e.peer.namespace}/${e.peer.name} ${e.counts.total}`),
        "the 5m edges, complete and in the service's order",
      );
      assert.equal(catalog.long, null);
      assert.equal(catalog.longEdges, null);
      assert.deepEqual((errors ?? []).map((e) => [e.path.join("."), e.extensions.code, e.extensions.backendError]).sort(), [
        ["resource.long", "BACKEND_UNAVAILABLE", backendError],
        ["resource.longEdges", "BACKEND_UNAVAILABLE", backendError],
      ]);

      // One line per failed query, each an hour-window query, saying what the backend said.
      const failed = log
        .lines()
        .slice(before)
        .filter((l) => l.event === "backend_query_failed");
      assert.ok(failed.length > 0, "failed queries are logged");
      for (const line of failed) {
        assert.equal(line.level, LEVEL.warn);
        assert.equal(line.kind, backendError);
        assert.equal(line.httpStatus, httpStatus);
        assert.match(String(line.backendError), errorText);
        assert.match(String(line.promql), /\[3600s\]/);
        assert.equal(line.url, `${relay.url}/`);
      }
      await relay.drained();
    });
  }

  it("maps the same failures to Kubernetes Status objects in SMI REST, per request", async () => {
    relay.mode = "refuse";
    const base = "/apis/metrics.smi-spec.io/v1alpha1/namespaces/shop/deployments/catalog";
    const ok = await gateway.app.inject({ url: `${base}?window=5m` });
    assert.equal(ok.statusCode, 200);
    const edges = await gateway.app.inject({ url: `${base}/edges?window=5m` });
    assert.equal(edges.statusCode, 200);
    assert.deepEqual(
      (edges.json().items as Array<{ edge: { direction: string; resource: { namespace: string; name: string } } }>).map(
        (i) => `${i.edge.direction.toUpperCase()} ${i.edge.resource.namespace}/${i.edge.resource.name}`,
      ),
      expectedEdges(model, REFS.catalog, "DEPLOYMENT", T0 - 300, T0).map((e) => `${e.direction} ${e.peer.namespace}/${e.peer.name}`),
      "the same edge order as GraphQL's",
    );
    for (const url of [`${base}?window=1h`, `${base}/edges?window=1h`]) {
      const failed = await gateway.app.inject({ url });
      assert.equal(failed.statusCode, 503, url);
      assert.equal(failed.json().kind, "Status");
      assert.equal(failed.json().reason, "ServiceUnavailable");
      assert.doesNotMatch(failed.body, /too many samples|127\.0\.0\.1/, "the backend's words and address stay in the log");
    }
  });
});
