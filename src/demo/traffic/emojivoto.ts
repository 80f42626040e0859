// The default demo topology, shaped like Linkerd's emojivoto sample:
// vote-bot -> web -> emoji and web -> voting, all meshed with mTLS. Voting
// fails now and then (its doughnut vote answers 500), as in the sample app.

import { latencyOf } from "./latency.ts";
import type { TopologySpec } from "./model.ts";

const NS = "emojivoto";

export const emojivoto: TopologySpec = {
  workloads: [
    { namespace: NS, name: "vote-bot", kind: "DEPLOYMENT", replicas: 1, serviceAccount: "default", service: null },
    { namespace: NS, name: "web", kind: "DEPLOYMENT", replicas: 1, service: "web-svc", port: 8080 },
    { namespace: NS, name: "emoji", kind: "DEPLOYMENT", replicas: 1, service: "emoji-svc", port: 8080 },
    { namespace: NS, name: "voting", kind: "DEPLOYMENT", replicas: 1, service: "voting-svc", port: 8080 },
  ],
  edges: [
    {
      from: { namespace: NS, name: "vote-bot" },
      to: { namespace: NS, name: "web" },
      rps: 2,
      status: { 200: 0.93, 500: 0.07 },
      latency: latencyOf(1, 4, 9, 22, 60),
      tls: true,
    },
    {
      from: { namespace: NS, name: "web" },
      to: { namespace: NS, name: "emoji" },
      rps: 3,
      status: { 200: 1 },
      latency: latencyOf(0.3, 1.2, 3, 8, 25),
      tls: true,
    },
    {
      from: { namespace: NS, name: "web" },
      to: { namespace: NS, name: "voting" },
      rps: 1,
      status: { 200: 0.85, 500: 0.15 },
      latency: latencyOf(0.4, 1.5, 4, 11, 30),
      tls: true,
    },
  ],
};
