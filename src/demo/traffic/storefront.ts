// The demo's second namespace: an online shop of 30 workloads of every
// workload kind, with failing edges, a plaintext unmeshed load generator,
// idle workloads, and calls to and from emojivoto.
//
//   loadgen (unmeshed) -> web-frontend -> api-gateway -> auth, catalog, search, cart, checkout, reviews
//   search -> recommendations            20% 503: failing
//   checkout -> payments                 8% 500: degraded
//   Deployments -> postgres, redis, kafka, elasticsearch (StatefulSets); kafka -> zookeeper
//   otel-agent -> fluent-bit (DaemonSets, 5% 503); fluent-bit -> elasticsearch; db-migrate (Job) -> postgres
//   recommendations -> emojivoto/emoji; emojivoto/web -> ads
//   idle: legacy-reports (Deployment), node-exporter (DaemonSet)

import { latencyOf } from "./latency.ts";
import type { EdgeSpec, StatusWeights, TopologySpec, WorkloadKind, WorkloadSpec } from "./model.ts";

export const STOREFRONT = "storefront";

const workload = (name: string, kind: WorkloadKind, replicas: number, extra: Partial<WorkloadSpec> = {}): WorkloadSpec => ({
  namespace: STOREFRONT,
  name,
  kind,
  replicas,
  ...extra,
});

const DEPLOYMENTS = [
  "web-frontend",
  "api-gateway",
  "auth",
  "users",
  "catalog",
  "search",
  "recommendations",
  "cart",
  "checkout",
  "payments",
  "fraud-check",
  "shipping",
  "inventory",
  "pricing",
  "notifications",
  "email",
  "reviews",
  "images",
  "ads",
  "legacy-reports",
];

const workloads: WorkloadSpec[] = [
  workload("loadgen", "DEPLOYMENT", 1, { meshed: false, service: null }),
  ...DEPLOYMENTS.map((name) => workload(name, "DEPLOYMENT", name === "api-gateway" ? 2 : 1)),
  workload("postgres", "STATEFULSET", 1, { port: 5432 }),
  workload("redis", "STATEFULSET", 1, { port: 6379 }),
  workload("kafka", "STATEFULSET", 2, { port: 9092 }),
  workload("zookeeper", "STATEFULSET", 1, { port: 2181 }),
  workload("elasticsearch", "STATEFULSET", 1, { port: 9200 }),
  workload("fluent-bit", "DAEMONSET", 2, { service: null, port: 2020 }),
  workload("node-exporter", "DAEMONSET", 2, { service: null, port: 9100 }),
  workload("otel-agent", "DAEMONSET", 2, { port: 4317 }),
  workload("db-migrate", "JOB", 1, { serviceAccount: "migrations", service: null }),
];

const web = latencyOf(2, 15, 60, 250, 900);
const fast = latencyOf(0.3, 2, 6, 20, 80);
const store = latencyOf(0.2, 1, 4, 15, 120);
const slow = latencyOf(20, 180, 600, 1800, 4000);
const OK: StatusWeights = { 200: 1 };

type Hop = readonly [from: string, to: string, rps: number, status?: StatusWeights, latency?: EdgeSpec["latency"], tls?: boolean];

const hops: Hop[] = [
  ["loadgen", "web-frontend", 8, { 200: 0.97, 404: 0.03 }, web, false],
  ["web-frontend", "api-gateway", 10, { 200: 0.99, 500: 0.01 }, web],
  ["api-gateway", "auth", 6, { 200: 0.995, 500: 0.005 }],
  ["api-gateway", "catalog", 5],
  ["api-gateway", "search", 3],
  ["api-gateway", "cart", 2, { 200: 0.9, 201: 0.1 }],
  ["api-gateway", "checkout", 1, { 200: 0.95, 500: 0.05 }, slow],
  ["api-gateway", "reviews", 1.5],
  ["auth", "users", 4, { 200: 0.99, 500: 0.01 }],
  ["catalog", "pricing", 4],
  ["catalog", "inventory", 3],
  ["catalog", "images", 2, OK, slow],
  ["search", "recommendations", 1.5, { 200: 0.8, 503: 0.2 }, slow],
  ["recommendations", "ads", 1],
  ["cart", "pricing", 1.5],
  ["checkout", "payments", 1, { 200: 0.92, 500: 0.08 }, slow],
  ["payments", "fraud-check", 1, { 200: 0.97, 503: 0.03 }],
  ["checkout", "shipping", 0.8],
  ["checkout", "inventory", 0.8],
  ["checkout", "notifications", 0.6],
  ["notifications", "email", 0.6, OK, slow, false],
  ["reviews", "users", 1],
  ["users", "postgres", 5, { 200: 0.999, 500: 0.001 }, store],
  ["inventory", "postgres", 3.8, OK, store],
  ["cart", "redis", 4, OK, store],
  ["catalog", "elasticsearch", 2, OK, store],
  ["notifications", "kafka", 0.6, OK, store],
  ["kafka", "zookeeper", 2, OK, store],
  ["fluent-bit", "elasticsearch", 3, { 200: 0.98, 429: 0.02 }, store],
  ["otel-agent", "fluent-bit", 4, { 200: 0.95, 503: 0.05 }, store],
  ["db-migrate", "postgres", 0.3, OK, store],
];

const local = (name: string) => ({ namespace: STOREFRONT, name });

export const storefront: TopologySpec = {
  workloads,
  edges: [
    ...hops.map(
      ([from, to, rps, status = OK, latency = fast, tls = true]): EdgeSpec => ({
        from: local(from),
        to: local(to),
        rps,
        status,
        latency,
        tls,
      }),
    ),
    // Across namespaces, both ways.
    { from: local("recommendations"), to: { namespace: "emojivoto", name: "emoji" }, rps: 0.5, status: OK, latency: fast, tls: true },
    { from: { namespace: "emojivoto", name: "web" }, to: local("ads"), rps: 0.5, status: { 200: 0.9, 500: 0.1 }, latency: fast, tls: true },
  ],
};
