// The TLS side of front-proxy authentication. The server asks every client
// for a certificate but lets the handshake succeed without one (token and
// anonymous clients must still connect); each request's peer certificate is
// then judged by RequestAuthenticator.

import { X509Certificate } from "node:crypto";
import { TLSSocket, type DetailedPeerCertificate, type PeerCertificate } from "node:tls";
import type { UserInfo } from "../service/access.ts";
import type { HeaderValues, PeerCertificates, RequestAuthenticator, RequestHeaderSettings } from "./authn.ts";

export interface ClientCertTlsOptions {
  requestCert: true;
  rejectUnauthorized: false;
  ca?: string;
}

/**
 * The given https options plus what front-proxy authentication needs. Without
 * settings no CA is set, so no client certificate can ever verify.
 */
export function withClientCertificates<T extends object>(
  httpsOptions: T,
  settings: RequestHeaderSettings | null,
): T & ClientCertTlsOptions {
  return settings
    ? { ...httpsOptions, requestCert: true, rejectUnauthorized: false, ca: settings.clientCAPem }
    : { ...httpsOptions, requestCert: true, rejectUnauthorized: false };
}

function isDetailed(c: PeerCertificate | DetailedPeerCertificate): c is DetailedPeerCertificate {
  return "issuerCertificate" in c;
}

/** The peer's certificates and TLS verdict; null on a plain socket or when the client sent none. */
export function peerCertificates(socket: unknown): PeerCertificates | null {
  if (!(socket instanceof TLSSocket)) return null;
  const leaf = socket.getPeerCertificate(true);
  if (!leaf?.raw) return null;
  const chain: X509Certificate[] = [];
  let c: PeerCertificate | DetailedPeerCertificate | undefined = leaf;
  // The issuer chain ends on a self-reference (the root) or on nothing.
  for (let i = 0; c?.raw && i < 6; i++) {
    chain.push(new X509Certificate(c.raw));
    const next: DetailedPeerCertificate | undefined = isDetailed(c) ? c.issuerCertificate : undefined;
    if (!next || next === c || next.fingerprint256 === c.fingerprint256) break;
    c = next;
  }
  return { chain, verified: socket.authorized };
}

export interface IncomingLike {
  readonly socket: unknown;
  readonly headers: Readonly<Record<string, string | string[] | undefined>>;
  /** node's per-header arrays (http.IncomingMessage.headersDistinct); preferred, since it keeps repeated X-Remote-Group values apart. */
  readonly headersDistinct?: Readonly<Record<string, string[] | undefined>>;
}

/**
 * The per-request entry point: a fastify onRequest hook calls it with
 * `request.raw`. Resolves to the user; rejects with AuthenticationError (401).
 */
export function makeAuthenticateRequest(authenticator: RequestAuthenticator): (req: IncomingLike) => Promise<UserInfo> {
  return (req) => {
    const headers: HeaderValues = req.headersDistinct ?? req.headers;
    return authenticator.authenticate({ peer: peerCertificates(req.socket), headers });
  };
}
