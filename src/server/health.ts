// Liveness and readiness, answered as Kubernetes probes expect: 200 "ok" or a
// failure status; `?verbose` lists each check, as kube-apiserver does.

import type { FastifyInstance } from "fastify";

export interface ReadinessCheck {
  readonly name: string;
  /** Resolves to a short description; rejects when not ready. */
  run(): Promise<string>;
}

async function readiness(checks: readonly ReadinessCheck[]): Promise<{ ok: boolean; lines: string[] }> {
  const results = await Promise.all(
    checks.map(async (c) => {
      try {
        return { ok: true, line: `[+]${c.name} ok: ${await c.run()}` };
      } catch (e) {
        return { ok: false, line: `[-]${c.name} failed: ${e instanceof Error ? e.message : String(e)}` };
      }
    }),
  );
  return { ok: results.every((r) => r.ok), lines: results.map((r) => r.line) };
}

export function registerHealth(app: FastifyInstance, checks: readonly ReadinessCheck[]): void {
  const live = async (): Promise<string> => "ok";
  app.get("/healthz", live);
  app.get("/livez", live);
  app.get("/readyz", async (request, reply) => {
    const { ok, lines } = await readiness(checks);
    const verbose = Object.hasOwn((request.query ?? {}) as object, "verbose");
    reply.code(ok ? 200 : 503).type("text/plain; charset=utf-8");
    if (verbose) return `${lines.join("\n")}\nreadyz check ${ok ? "passed" : "failed"}\n`;
    return ok ? "ok" : `${lines.filter((l) => l.startsWith("[-]")).join("\n")}\nreadyz check failed\n`;
  });
}
