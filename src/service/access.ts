// Who is asking, and what they may see. The service checks every namespace a
// request touches; src/kube answers with SubjectAccessReviews.

export interface UserInfo {
  readonly username: string;
  readonly groups: readonly string[];
  readonly extra?: Readonly<Record<string, readonly string[]>>;
}

/** The attributes of one SubjectAccessReview (group metrics.smi-spec.io is implied). */
export interface AccessCheck {
  readonly verb: "get" | "list";
  /** REST plural, e.g. "deployments", "namespaces" */
  readonly resource: string;
  readonly subresource: "edges" | null;
  /** null for cluster-scoped checks (namespaces, lists across all namespaces) */
  readonly namespace: string | null;
  /** The object's name for a `get`. */
  readonly name?: string | null;
}

export interface Authorizer {
  /** One decision per check, in order. Implementations batch and cache. */
  allowed(user: UserInfo, checks: readonly AccessCheck[]): Promise<boolean[]>;
}

/** Sees the checks a scope asked and their answers: live streams re-ask them to notice lost access. */
export type AccessRecorder = (checks: readonly AccessCheck[], decisions: readonly boolean[]) => void;

/** The demo and tests without a cluster: everyone may see everything. */
export const ALLOW_ALL: Authorizer = {
  allowed: async (_user, checks) => checks.map(() => true),
};

export const ANONYMOUS: UserInfo = { username: "system:anonymous", groups: ["system:unauthenticated"] };
