// Serving-certificate reload failures: whatever throws (the server's
// setSecureContext, the reload hook) is logged, the process keeps running and
// the old pair keeps serving until a swap succeeds.

import assert from "node:assert/strict";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import type { SecureContextOptions } from "node:tls";
import { watchServingCertificate } from "../../src/kube/tls-reload.ts";
import { makeTestPki, type Pem, type TestPki } from "../fakes/certs.ts";
import { eventually, logSink } from "./helpers.ts";

describe("serving certificate reload failures", () => {
  let pki: TestPki;
  let rotated: Pem;
  let dir: string;
  const unhandled: unknown[] = [];
  const record = (reason: unknown): void => {
    unhandled.push(reason);
  };

  before(() => {
    pki = makeTestPki();
    rotated = pki.newServerCert("rotated", "meshql-rotated");
    dir = mkdtempSync(join(tmpdir(), "meshql-reload-"));
    process.on("unhandledRejection", record);
  });
  after(() => {
    process.off("unhandledRejection", record);
    rmSync(dir, { recursive: true, force: true });
    pki.cleanup();
  });

  function files(name: string, pem: Pem): { certFile: string; keyFile: string } {
    const certFile = join(dir, `${name}.crt`);
    const keyFile = join(dir, `${name}.key`);
    writeFileSync(certFile, pem.cert);
    writeFileSync(keyFile, pem.key);
    return { certFile, keyFile };
  }

  it("a throwing setSecureContext from the poll timer is logged, not an unhandled rejection, and retried", async () => {
    const paths = files("poll", pki.server);
    const installed: SecureContextOptions[] = [];
    let failures = 1;
    const target = {
      setSecureContext(options: SecureContextOptions): void {
        if (failures-- > 0) throw new Error("boom: context refused");
        installed.push(options);
      },
    };
    const sink = logSink();
    const reloader = watchServingCertificate(target, { ...paths, pollMs: 20, debounceMs: 5, log: sink.log });
    try {
      await reloader.reload();
      files("poll", rotated);
      await eventually(() => sink.lines.some((l) => l.includes("boom: context refused")), "the failure is logged");
      await eventually(() => installed.length === 1, "a later poll installs the pair");
      assert.equal(String(installed[0]?.cert), rotated.cert);
      assert.deepEqual(unhandled, []);
    } finally {
      reloader.close();
    }
  });
});
