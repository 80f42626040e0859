// The PromQL the Istio and Consul adapters generate, without a backend: user
// values are escaped (quotes inside strings, regex metacharacters inside =~),
// and the number of queries does not depend on the batch's size.

import assert from "node:assert/strict";
import { describe, it } from "node:test";
import type { ResourceKind } from "../../src/domain/kinds.ts";
import type { ResourceRef } from "../../src/domain/resource.ts";
import type { MeshAdapter, StatsBatch } from "../../src/mesh/adapter.ts";
import { ConsulAdapter } from "../../src/mesh/consul/spec.ts";
import { IstioAdapter } from "../../src/mesh/istio/spec.ts";
import type { InstantQuerier, Sample } from "../../src/prometheus/client.ts";

class Recorder implements InstantQuerier {
  readonly queries: string[] = [];
  async query(promql: string): Promise<Sample[]> {
    this.queries.push(promql);
    return [];
  }
}

const at = new Date(Date.UTC(2026, 10, 1, 12));
const batch = (kind: ResourceKind, refs: ResourceRef[]): StatsBatch => ({ kind, refs, window: { seconds: 300 }, at });
const dep = (namespace: string, name: string): ResourceRef => ({ kind: "DEPLOYMENT", namespace, name });

const adapters: Array<[string, (q: InstantQuerier) => MeshAdapter]> = [
  ["istio", (q) => new IstioAdapter(q)],
  ["consul", (q) => new ConsulAdapter(q)],
];

describe("Istio PromQL", () => {
  it("reads the destination reporter for resources, with every name escaped", async () => {
    const r = new Recorder();
    await new IstioAdapter(r).resourceStats(batch("DEPLOYMENT", [dep("shop", "web.v1"), dep("shop", "a|b"), dep('x"y', "api")]));
    const [counts, buckets, directory] = r.queries;
    assert.equal(
      counts,
      "sum by (destination_workload_namespace, destination_workload, response_code) " +
        '(increase(istio_requests_total{reporter="destination",destination_workload_namespace=~"shop|x\\"y",' +
        'destination_workload=~"api|a\\\\|b|web\\\\.v1"}[300s]))',
    );
    assert.match(buckets!, /^sum by \(le, destination_workload_namespace, destination_workload\) \(rate\(/);
    assert.match(buckets!, /\(rate\(istio_request_duration_milliseconds_bucket\{reporter="destination",.*\}\[300s\]\)\)$/);
    assert.ok(!/irate/.test(buckets!), "percentiles use rate over the whole window");
    assert.equal(
      directory,
      'group by (source_workload_namespace, source_workload, pod) (present_over_time(istio_requests_total{reporter="source"}[300s])) or ' +
        "group by (destination_workload_namespace, destination_workload, pod) " +
        '(present_over_time(istio_requests_total{reporter="destination"}[300s]))',
    );
  });

  it("reads the source reporter for edges and the destination reporter for their mTLS", async () => {
    const r = new Recorder();
    await new IstioAdapter(r).edges(batch("DEPLOYMENT", [dep("shop", "web")]));
    assert.equal(r.queries.length, 4);
    assert.equal(
      r.queries[0],
      "sum by (source_workload_namespace, source_workload, destination_workload_namespace, destination_workload, response_code) (" +
        'increase(istio_requests_total{reporter="source",source_workload_namespace="shop",source_workload="web"}[300s]) or ' +
        // Disjoint halves: series the refs sent are read once, by the first selector only.
        'increase(istio_requests_total{reporter="source",destination_workload_namespace="shop",destination_workload="web",' +
        'source_workload_namespace!="shop"}[300s]) or ' +
        'increase(istio_requests_total{reporter="source",destination_workload_namespace="shop",destination_workload="web",' +
        'source_workload_namespace="shop",source_workload!="web"}[300s]))',
    );
    assert.match(r.queries[2]!, /^sum by \(.*connection_security_policy\) \(increase\(istio_requests_total\{reporter="destination",/);
  });

  it("a ReplicaSet also matches its Deployment's series; a pod matches the pod label", async () => {
    const r = new Recorder();
    const adapter = new IstioAdapter(r);
    await adapter.resourceStats(batch("REPLICASET", [{ kind: "REPLICASET", namespace: "shop", name: "web-7d9f8c6b5b" }]));
    assert.match(r.queries[0]!, /destination_workload=~"web\|web-7d9f8c6b5b"/);
    await adapter.resourceStats(batch("POD", [{ kind: "POD", namespace: "shop", name: "web-7d9f8c6b5b-x2k4z" }]));
    assert.match(r.queries.at(-2)!, /sum by \(destination_workload_namespace, pod, response_code\).*pod="web-7d9f8c6b5b-x2k4z"/);
  });

  it("pod-to-pod edges send nothing: Istio cannot express them", async () => {
    const r = new Recorder();
    assert.deepEqual(await new IstioAdapter(r).edges(batch("POD", [{ kind: "POD", namespace: "shop", name: "web-0" }])), []);
    assert.equal(r.queries.length, 0);
  });
});

describe("Consul PromQL", () => {
  it("reads the public listener for resources, per namespace and service", async () => {
    const r = new Recorder();
    await new ConsulAdapter(r).resourceStats(batch("DEPLOYMENT", [dep("shop", "web"), dep("sh.p", "api")]));
    assert.equal(
      r.queries[0],
      "sum by (namespace, consul_source_service, envoy_response_code_class) " +
        '(increase(envoy_http_downstream_rq_xx{envoy_http_conn_manager_prefix="public_listener",namespace=~"sh\\\\.p|shop"}[300s]))',
    );
    assert.match(
      r.queries[1]!,
      /envoy_http_downstream_rq_time_bucket\{envoy_http_conn_manager_prefix="public_listener",namespace=~"sh\\\\\.p\|shop"\}\[300s\]/,
    );
  });

  it("reads upstream clusters with a destination service for edges (never local_app)", async () => {
    const r = new Recorder();
    await new ConsulAdapter(r).edges(batch("NAMESPACE", [{ kind: "NAMESPACE", namespace: null, name: "shop" }]));
    assert.equal(
      r.queries[0],
      "sum by (namespace, consul_destination_namespace, consul_destination_service, envoy_response_code_class) (" +
        'increase(envoy_cluster_upstream_rq_xx{consul_destination_service!="",namespace="shop"}[300s]) or ' +
        // Consul OSS tags every upstream "default" (or nothing): the directory places it.
        'increase(envoy_cluster_upstream_rq_xx{consul_destination_service!="",consul_destination_namespace=~"|default|shop",' +
        'namespace!="shop"}[300s]))',
    );
    assert.equal(r.queries.length, 3, "namespace edges need the directory to place upstreams");
  });
});

describe("batching: the query count does not depend on the batch", () => {
  for (const [mesh, make] of adapters) {
    for (const kind of ["NAMESPACE", "POD", "DEPLOYMENT", "STATEFULSET", "REPLICASET", "JOB"] as const) {
      it(`${mesh} ${kind}`, async () => {
        const refs = (n: number): ResourceRef[] =>
          Array.from({ length: n }, (_, i) =>
            kind === "NAMESPACE" ? { kind, namespace: null, name: `ns-${i}` } : { kind, namespace: `ns-${i % 7}`, name: `w-${i}` },
          );
        const count = async (n: number) => {
          const r = new Recorder();
          const adapter = make(r);
          await adapter.resourceStats(batch(kind, refs(n)));
          await adapter.edges(batch(kind, refs(n)));
          return r.queries.length;
        };
        const [one, many] = [await count(1), await count(500)];
        assert.ok(one > 0);
        assert.equal(many, one);
      });
    }
  }
});
