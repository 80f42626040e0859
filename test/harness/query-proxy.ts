// A loopback HTTP proxy that writes every PromQL query passing through it to a
// file, one JSON line each in the shape of Prometheus' query log, for backends
// that keep no such log (VictoriaMetrics).

import { appendFileSync } from "node:fs";
import { createServer, request } from "node:http";
import type { AddressInfo } from "node:net";

export interface QueryLoggingProxy {
  readonly url: string;
  close(): Promise<void>;
}

export async function queryLoggingProxy(target: string, logFile: string): Promise<QueryLoggingProxy> {
  const upstream = new URL(target);
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on("data", (c: Buffer) => chunks.push(c));
    req.on("end", () => {
      const body = Buffer.concat(chunks);
      const path = (req.url ?? "/").split("?", 1)[0]!;
      if (path === "/api/v1/query" || path === "/api/v1/query_range") {
        const params = new URLSearchParams(new URL(req.url ?? "/", "http://x").search);
        if (String(req.headers["content-type"] ?? "").startsWith("application/x-www-form-urlencoded")) {
          for (const [k, v] of new URLSearchParams(body.toString("utf8"))) params.set(k, v);
        }
        const query = params.get("query");
        if (query !== null) appendFileSync(logFile, `${JSON.stringify({ params: { query, time: params.get("time") } })}\n`);
      }
      const forward = request(
        {
          host: upstream.hostname,
          port: upstream.port,
          path: req.url,
          method: req.method,
          headers: { ...req.headers, host: upstream.host },
        },
        (answer) => {
          res.writeHead(answer.statusCode ?? 502, answer.headers);
          answer.pipe(res);
        },
      );
      forward.on("error", () => res.destroy());
      forward.end(body);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    close: () =>
      new Promise((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
