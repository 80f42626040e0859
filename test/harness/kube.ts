// The gateway's Kubernetes flags for a test against the loopback fake API server
// (test/fakes/kube-apiserver.ts): a kubeconfig the fake writes, and every other
// flag unset, so the gateway reads the front-proxy settings from the cluster.

import { join } from "node:path";
import type { GatewayConfig } from "../../src/server/gateway.ts";
import type { FakeKubeApiServer } from "../fakes/kube-apiserver.ts";

type GatewayKube = NonNullable<GatewayConfig["kube"]>;

/** Writes `dir`/kubeconfig for `fake` (its client token) and returns the flags that name it. */
export function fakeClusterFlags(fake: FakeKubeApiServer, dir: string, allowAnonymous: GatewayKube["allowAnonymous"]): GatewayKube {
  const kubeconfig = join(dir, "kubeconfig");
  fake.writeKubeconfig(kubeconfig);
  return {
    kubeconfig,
    requestheaderClientCAFile: null,
    requestheaderAllowedNames: null,
    requestheaderUsernameHeaders: null,
    requestheaderGroupHeaders: null,
    requestheaderExtraHeadersPrefix: null,
    authenticationKubeconfig: null,
    authorizationKubeconfig: null,
    allowAnonymous,
  };
}
