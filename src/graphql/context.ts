import type { RequestScope } from "../service/types.ts";

/** What every resolver sees: the service, as this request's scope. */
export interface GraphQLContext {
  readonly scope: RequestScope;
}
