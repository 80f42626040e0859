// A graphql-ws client for tests: the real protocol over a real socket, with
// what the server sent recorded (events, how each stream ended, close codes).

import type { TypedDocumentNode } from "@graphql-typed-document-node/core";
import { type GraphQLFormattedError, print } from "graphql";
import { type Client, createClient } from "graphql-ws/client";
import WebSocket, { type ClientOptions } from "ws";

export interface LiveClient {
  readonly client: Client;
  /** Close codes and reasons the server sent, in order. */
  readonly closes: Array<{ code: number; reason: string }>;
  dispose(): Promise<void>;
}

/** `url` is the gateway's base (http or https); `socket` carries TLS client certificates or upgrade headers. */
export function liveClient(
  url: string,
  options: {
    connectionParams?: Record<string, unknown>;
    socket?: ClientOptions /** false: keep the connection when no stream is left */;
    lazy?: boolean;
  } = {},
): LiveClient {
  const closes: LiveClient["closes"] = [];
  const socketOptions = options.socket ?? {};
  class Socket extends WebSocket {
    constructor(address: string, protocols?: string | string[]) {
      super(address, protocols, socketOptions);
    }
  }
  const client = createClient({
    url: `${url.replace(/^http/, "ws")}/graphql`,
    webSocketImpl: Socket,
    retryAttempts: 0,
    lazy: options.lazy ?? true,
    // A non-lazy client reports its connection's end here; `closes` records it already.
    onNonLazyError: () => {},
    ...(options.connectionParams ? { connectionParams: options.connectionParams } : {}),
    on: {
      closed: (event) => {
        const e = event as { code: number; reason: string };
        closes.push({ code: e.code, reason: String(e.reason) });
      },
    },
  });
  return { client, closes, dispose: () => client.dispose() as Promise<void> };
}

export type Ending = { readonly how: "complete" } | { readonly how: "error"; readonly error: unknown };

export interface Recording<T> {
  readonly events: Array<{ readonly data?: T | null; readonly errors?: readonly GraphQLFormattedError[]; readonly receivedAt: number }>;
  /** How the stream ended, once it has. */
  readonly ended: Promise<Ending>;
  /** Resolves when at least n events came; rejects when the stream ends first or after timeoutMs. */
  until(n: number, timeoutMs?: number): Promise<void>;
  unsubscribe(): void;
}

export function record<T, V>(live: LiveClient, document: TypedDocumentNode<T, V> | string, variables: V): Recording<T> {
  const events: Recording<T>["events"] = [];
  const waiters = new Set<() => void>();
  let settle!: (e: Ending) => void;
  const ended = new Promise<Ending>((resolve) => (settle = resolve));
  let over: Ending | null = null;
  const finish = (e: Ending): void => {
    over = e;
    settle(e);
    for (const w of waiters) w();
  };
  const unsubscribe = live.client.subscribe<T>(
    { query: typeof document === "string" ? document : print(document), variables: variables as Record<string, unknown> },
    {
      next: (value) => {
        events.push({ data: value.data ?? null, ...(value.errors ? { errors: value.errors } : {}), receivedAt: Date.now() });
        for (const w of waiters) w();
      },
      error: (error) => finish({ how: "error", error }),
      complete: () => finish({ how: "complete" }),
    },
  );
  const until = (n: number, timeoutMs = 15_000): Promise<void> =>
    new Promise((resolve, reject) => {
      const check = (): void => {
        if (events.length >= n) done(resolve);
        else if (over) done(() => reject(new Error(`stream ended (${JSON.stringify(over)}) after ${events.length} of ${n} events`)));
      };
      const timer = setTimeout(() => done(() => reject(new Error(`${events.length} of ${n} events within ${timeoutMs} ms`))), timeoutMs);
      const done = (then: () => void): void => {
        clearTimeout(timer);
        waiters.delete(check);
        then();
      };
      waiters.add(check);
      check();
    });
  return { events, ended, until, unsubscribe };
}
