// The gateway's own metrics on /metrics, in a registry of its own so tests
// and several gateways in one process never share counters.

import { collectDefaultMetrics, Counter, Gauge, Histogram, Registry } from "prom-client";
import type { QueryObserver } from "../prometheus/client.ts";

export class GatewayMetrics {
  readonly registry = new Registry();

  readonly backendQueries = new Counter({
    name: "meshql_backend_queries_total",
    help: "Queries sent to the metrics backend, by outcome.",
    labelNames: ["outcome"] as const,
    registers: [this.registry],
  });

  readonly backendQueryDuration = new Histogram({
    name: "meshql_backend_query_duration_seconds",
    help: "Time the metrics backend took to answer a query.",
    labelNames: ["outcome"] as const,
    buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
    registers: [this.registry],
  });

  readonly httpRequests = new Histogram({
    name: "meshql_http_request_duration_seconds",
    help: "HTTP requests served, by route and status code.",
    labelNames: ["route", "method", "code"] as const,
    buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
    registers: [this.registry],
  });

  readonly webSocketConnections = new Gauge({
    name: "meshql_websocket_connections",
    help: "Open GraphQL WebSocket connections.",
    registers: [this.registry],
  });

  readonly subscriptions = new Gauge({
    name: "meshql_subscriptions",
    help: "Active GraphQL subscriptions.",
    registers: [this.registry],
  });

  readonly subscriptionRuns = new Counter({
    name: "meshql_subscription_executions_total",
    help: "Executions of subscription selections; subscribers with the same document, variables and user share one per interval.",
    registers: [this.registry],
  });

  readonly slowConsumers = new Counter({
    name: "meshql_websocket_slow_consumers_total",
    help: "WebSocket connections closed because the client did not read its events.",
    registers: [this.registry],
  });

  readonly graphqlDocuments = new Counter({
    name: "meshql_graphql_documents_total",
    help: "GraphQL documents answered, by how: executed, shared with an identical one in flight, or cached.",
    labelNames: ["execution"] as const,
    registers: [this.registry],
  });

  constructor(options: { processMetrics?: boolean } = {}) {
    if (options.processMetrics ?? true) collectDefaultMetrics({ register: this.registry, prefix: "meshql_" });
  }

  /** Hook for the Prometheus client: counts and times every backend query. */
  readonly observeQuery: QueryObserver = ({ seconds, outcome }) => {
    this.backendQueries.inc({ outcome });
    this.backendQueryDuration.observe({ outcome }, seconds);
  };
}
