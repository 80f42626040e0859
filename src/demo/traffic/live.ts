// A live /metrics endpoint: the model's counters at the current wall-clock
// time, so a real Prometheus can scrape it like a mesh's proxies.

import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { renderExposition, EXPOSITION_CONTENT_TYPE } from "./exposition.ts";
import { allFamilies, type MeshFormat } from "./format.ts";
import type { TrafficModel } from "./model.ts";

export interface LiveOptions {
  readonly model: TrafficModel;
  readonly formats: readonly MeshFormat[];
  /** Unix seconds; defaults to the wall clock. Tests inject one. */
  readonly clock?: () => number;
}

export interface LiveEndpoint {
  /** The full /metrics URL. */
  readonly url: string;
  readonly port: number;
  close(): Promise<void>;
}

export async function startLive(options: LiveOptions, host = "127.0.0.1", port = 0): Promise<LiveEndpoint> {
  // Built once: the families are functions of time.
  const families = allFamilies(options.model, options.formats);
  const clock = options.clock ?? (() => Date.now() / 1000);
  const server = createServer((req, res) => {
    const path = (req.url ?? "/").split("?")[0];
    if (req.method !== "GET" && req.method !== "HEAD") {
      res.writeHead(405, { allow: "GET, HEAD" }).end();
      return;
    }
    if (path !== "/metrics") {
      res.writeHead(404, { "content-type": "text/plain" }).end("not found; try /metrics\n");
      return;
    }
    const body = renderExposition(families, clock());
    res.writeHead(200, { "content-type": EXPOSITION_CONTENT_TYPE, "content-length": Buffer.byteLength(body) });
    res.end(req.method === "HEAD" ? undefined : body);
  });
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(port, host, () => {
      server.off("error", reject);
      resolve();
    });
  });
  const bound = (server.address() as AddressInfo).port;
  const shownHost = host.includes(":") ? `[${host}]` : host;
  return {
    url: `http://${shownHost}:${bound}/metrics`,
    port: bound,
    close: () =>
      new Promise<void>((resolve, reject) => {
        server.close((e) => (e ? reject(e) : resolve()));
        server.closeAllConnections();
      }),
  };
}
