import type { RequestScope } from "../service/types.ts";

/** Where errors hidden from the client are written (a pino logger, in the gateway). */
export interface MaskedErrorLog {
  error(fields: { err: unknown; path?: string }, message: string): void;
}

/** What every resolver sees: the service, as this request's scope. */
export interface GraphQLContext {
  readonly scope: RequestScope;
  /** The request's log, so a masked error is logged with its request id. */
  readonly log?: MaskedErrorLog;
}
