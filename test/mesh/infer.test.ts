import assert from "node:assert/strict";
import { describe, it } from "node:test";
import {
  commonPodOwner,
  inferWorkloadKind,
  parsePodName,
  replicaSetOfPod,
  workloadAsKind,
  workloadNamesFor,
} from "../../src/mesh/infer.ts";
import { buildModel } from "../../src/demo/traffic/model.ts";
import { topologyModel } from "../fixtures/topology.ts";

describe("pod-name inference", () => {
  it("reads a Deployment pod: name, 6-10 char hash, 5 char suffix", () => {
    assert.deepEqual(parsePodName("web-7d9f8c6b5b-x2k4z"), { kind: "DEPLOYMENT", name: "web", replicaSet: "web-7d9f8c6b5b" });
    assert.deepEqual(parsePodName("my-api-v2-589f7d-bcdfg"), { kind: "DEPLOYMENT", name: "my-api-v2", replicaSet: "my-api-v2-589f7d" });
  });
  it("reads a StatefulSet pod by its ordinal", () => {
    assert.deepEqual(parsePodName("db-0"), { kind: "STATEFULSET", name: "db", replicaSet: null });
    assert.deepEqual(parsePodName("kafka-broker-12"), { kind: "STATEFULSET", name: "kafka-broker", replicaSet: null });
    assert.equal(parsePodName("db-01"), null, "ordinals have no leading zeros");
  });
  it("reads a single generated suffix as a DaemonSet (Jobs and standalone ReplicaSets look the same)", () => {
    assert.deepEqual(parsePodName("node-agent-x7q2p"), { kind: "DAEMONSET", name: "node-agent", replicaSet: null });
    // a 5-char suffix of the alphabet's digits is a generated suffix, not the 24567th ordinal
    assert.deepEqual(parsePodName("fluentd-24567"), { kind: "DAEMONSET", name: "fluentd", replicaSet: null });
  });
  it("refuses suffixes with characters outside Kubernetes' alphabet (vowels, 0, 1, 3)", () => {
    assert.equal(parsePodName("web-aeiou"), null);
    assert.equal(parsePodName("web-7d9f8c6b5b-abcde"), null);
    // all digits but 1 and 3 are outside the alphabet: a number, so an ordinal
    assert.deepEqual(parsePodName("web-13013"), { kind: "STATEFULSET", name: "web", replicaSet: null });
  });
  it("a hash with a vowel is no pod-template-hash: the pod reads as a DaemonSet's of a longer name", () => {
    assert.deepEqual(parsePodName("web-abcdefg-x2k4z"), { kind: "DAEMONSET", name: "web-abcdefg", replicaSet: null });
  });
  it("bare pods match nothing", () => {
    assert.equal(parsePodName("debug"), null);
    assert.equal(parsePodName("debug-shell"), null);
  });
});

describe("workload kind from its pods", () => {
  it("votes over the pods named after the workload", () => {
    assert.equal(inferWorkloadKind("web", ["web-7d9f8c6b5b-x2k4z", "web-7d9f8c6b5b-q9w8r"]), "DEPLOYMENT");
    assert.equal(inferWorkloadKind("db", ["db-0", "db-1"]), "STATEFULSET");
    assert.equal(inferWorkloadKind("agent", ["agent-x7q2p", "agent-b2c4d"]), "DAEMONSET");
  });
  it("ignores pods of other names and falls back to Deployment", () => {
    assert.equal(inferWorkloadKind("web", ["other-0", "debug"]), "DEPLOYMENT");
    assert.equal(inferWorkloadKind("web", []), "DEPLOYMENT");
  });
  it("a Deployment's ReplicaSet is its pods' name-hash", () => {
    assert.equal(replicaSetOfPod("web", "web-7d9f8c6b5b-x2k4z"), "web-7d9f8c6b5b");
    assert.equal(replicaSetOfPod("web", "db-0"), null);
    assert.deepEqual(workloadNamesFor("REPLICASET", "web-7d9f8c6b5b"), ["web-7d9f8c6b5b", "web"]);
    assert.deepEqual(workloadNamesFor("REPLICASET", "canary"), ["canary"]);
    assert.deepEqual(workloadNamesFor("DEPLOYMENT", "web-7d9f8c6b5b"), ["web-7d9f8c6b5b"]);
  });
  it("a Deployment in a rollout (two ReplicaSets) stands for no ReplicaSet", () => {
    const w = { namespace: "a", name: "web", kind: "DEPLOYMENT" as const, pods: new Set(["web-7d9f8c6b5b-x2k4z", "web-58b9c7d6f4-q9w8r"]) };
    assert.equal(workloadAsKind(w, "REPLICASET"), null);
    assert.deepEqual(workloadAsKind({ ...w, pods: new Set(["web-7d9f8c6b5b-x2k4z"]) }, "REPLICASET"), {
      kind: "REPLICASET",
      namespace: "a",
      name: "web-7d9f8c6b5b",
    });
    assert.deepEqual(workloadAsKind(w, "DEPLOYMENT"), { kind: "DEPLOYMENT", namespace: "a", name: "web" });
    assert.equal(workloadAsKind(w, "STATEFULSET"), null);
  });
  it("a Consul service's owner is what most of its pods point to", () => {
    assert.deepEqual(commonPodOwner(["db-0", "db-1", "web-7d9f8c6b5b-x2k4z"]), { kind: "STATEFULSET", name: "db", replicaSet: null });
    assert.equal(commonPodOwner(["debug"]), null);
  });
});

describe("inference over the generator's pod names", () => {
  it(
    "gets every Deployment and StatefulSet of the fixture right, and reads DaemonSets, Jobs and standalone ReplicaSets as " + "DaemonSets",
    () => {
      const model = topologyModel();
      for (const w of model.workloads) {
        const want = w.kind === "JOB" || w.kind === "REPLICASET" ? "DAEMONSET" : w.kind;
        assert.equal(
          inferWorkloadKind(
            w.name,
            w.pods.map((p) => p.name),
          ),
          want,
          `${w.namespace}/${w.name}`,
        );
        if (w.kind === "DEPLOYMENT") for (const p of w.pods) assert.equal(replicaSetOfPod(w.name, p.name), w.replicaSet);
      }
    },
  );
  it("holds for many generated names (hash and suffixes from the Kubernetes alphabet)", () => {
    const workloads = Array.from({ length: 200 }, (_, i) => ({
      namespace: "n",
      name: `svc-${i}`,
      kind: "DEPLOYMENT" as const,
      replicas: 3,
    }));
    const model = buildModel({ workloads, edges: [] });
    for (const w of model.workloads)
      assert.equal(
        inferWorkloadKind(
          w.name,
          w.pods.map((p) => p.name),
        ),
        "DEPLOYMENT",
        w.name,
      );
  });
});
