// Test certificates made with the system openssl (3.0 here) in a temporary
// directory: a serving CA and server certificate, the front-proxy
// (requestheader) CA with allowed, disallowed and expired client
// certificates, and a second CA for a "wrong CA" client.
//
// openssl 3.0's `x509` cannot backdate (no -not_before/-not_after, and -days
// must be positive), so the expired certificate is signed with `openssl ca`,
// whose -startdate/-enddate take any dates.

import { execFileSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

export interface Pem {
  readonly cert: string;
  readonly key: string;
  readonly certFile: string;
  readonly keyFile: string;
}

export interface TestPki {
  readonly dir: string;
  readonly servingCA: Pem;
  readonly server: Pem;
  readonly frontProxyCA: Pem;
  readonly wrongCA: Pem;
  readonly clients: {
    /** CN=front-proxy-client, signed by the front-proxy CA */
    readonly allowed: Pem;
    /** CN=intruder, signed by the front-proxy CA */
    readonly disallowed: Pem;
    /** CN=front-proxy-client, signed by the wrong CA */
    readonly wrongCA: Pem;
    /** CN=front-proxy-client, front-proxy CA, valid only in January 2020 */
    readonly expired: Pem;
  };
  /** Signs a new server certificate (for reload tests). */
  newServerCert(name: string, cn: string): Pem;
  cleanup(): void;
}

function openssl(dir: string, args: string[]): void {
  execFileSync("/usr/bin/openssl", args, { cwd: dir, stdio: ["ignore", "ignore", "pipe"] });
}

function pem(dir: string, name: string): Pem {
  const certFile = join(dir, `${name}.crt`);
  const keyFile = join(dir, `${name}.key`);
  return { cert: readFileSync(certFile, "utf8"), key: readFileSync(keyFile, "utf8"), certFile, keyFile };
}

const KEY = ["-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes"];

function makeCA(dir: string, name: string, cn: string): Pem {
  openssl(dir, [
    "req",
    "-x509",
    ...KEY,
    "-keyout",
    `${name}.key`,
    "-out",
    `${name}.crt`,
    "-subj",
    `/CN=${cn}`,
    "-days",
    "2",
    "-addext",
    "basicConstraints=critical,CA:TRUE",
    "-addext",
    "keyUsage=critical,keyCertSign,cRLSign",
  ]);
  return pem(dir, name);
}

function makeLeaf(dir: string, ca: string, name: string, cn: string, ext: string): Pem {
  writeFileSync(join(dir, `${name}.ext`), ext);
  openssl(dir, ["req", ...KEY, "-keyout", `${name}.key`, "-out", `${name}.csr`, "-subj", `/CN=${cn}`]);
  openssl(dir, [
    "x509",
    "-req",
    "-in",
    `${name}.csr`,
    "-CA",
    `${ca}.crt`,
    "-CAkey",
    `${ca}.key`,
    "-CAcreateserial",
    "-out",
    `${name}.crt`,
    "-days",
    "2",
    "-extfile",
    `${name}.ext`,
  ]);
  return pem(dir, name);
}

const CLIENT_EXT = "basicConstraints=CA:FALSE\nkeyUsage=critical,digitalSignature\nextendedKeyUsage=clientAuth\n";
const SERVER_EXT =
  "basicConstraints=CA:FALSE\nkeyUsage=critical,digitalSignature\nextendedKeyUsage=serverAuth\nsubjectAltName=IP:127.0.0.1,DNS:localhost\n";

function makeExpired(dir: string, ca: string, name: string, cn: string): Pem {
  writeFileSync(join(dir, "index.txt"), "");
  writeFileSync(join(dir, "serial"), "1000\n");
  writeFileSync(join(dir, `${name}.ext`), CLIENT_EXT);
  writeFileSync(
    join(dir, "ca.cnf"),
    [
      "[ ca ]",
      "default_ca = test",
      "[ test ]",
      `database = ${join(dir, "index.txt")}`,
      `new_certs_dir = ${dir}`,
      `serial = ${join(dir, "serial")}`,
      "default_md = sha256",
      "policy = anything",
      "unique_subject = no",
      "[ anything ]",
      "commonName = supplied",
      "",
    ].join("\n"),
  );
  openssl(dir, ["req", ...KEY, "-keyout", `${name}.key`, "-out", `${name}.csr`, "-subj", `/CN=${cn}`]);
  openssl(dir, [
    "ca",
    "-config",
    "ca.cnf",
    "-batch",
    "-notext",
    "-cert",
    `${ca}.crt`,
    "-keyfile",
    `${ca}.key`,
    "-startdate",
    "20200101000000Z",
    "-enddate",
    "20200131000000Z",
    "-extfile",
    `${name}.ext`,
    "-in",
    `${name}.csr`,
    "-out",
    `${name}.crt`,
  ]);
  return pem(dir, name);
}

export function makeTestPki(): TestPki {
  const dir = mkdtempSync(join(tmpdir(), "meshql-pki-"));
  const servingCA = makeCA(dir, "serving-ca", "meshql-serving-ca");
  const server = makeLeaf(dir, "serving-ca", "server", "meshql.meshql.svc", SERVER_EXT);
  const frontProxyCA = makeCA(dir, "front-proxy-ca", "front-proxy-ca");
  const wrongCA = makeCA(dir, "wrong-ca", "front-proxy-ca");
  return {
    dir,
    servingCA,
    server,
    frontProxyCA,
    wrongCA,
    clients: {
      allowed: makeLeaf(dir, "front-proxy-ca", "allowed", "front-proxy-client", CLIENT_EXT),
      disallowed: makeLeaf(dir, "front-proxy-ca", "disallowed", "intruder", CLIENT_EXT),
      wrongCA: makeLeaf(dir, "wrong-ca", "wrong", "front-proxy-client", CLIENT_EXT),
      expired: makeExpired(dir, "front-proxy-ca", "expired", "front-proxy-client"),
    },
    newServerCert: (name, cn) => makeLeaf(dir, "serving-ca", name, cn, SERVER_EXT),
    cleanup: () => rmSync(dir, { recursive: true, force: true }),
  };
}
