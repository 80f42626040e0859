// Bounded work per document: a depth limit and a cost estimate that accounts
// for list fan-out, both checked after validation and before any resolver runs.

import type { ApolloServerPlugin } from "@apollo/server";
import { createRequire } from "node:module";
import {
  type DocumentNode,
  type FragmentDefinitionNode,
  GraphQLError,
  type GraphQLSchema,
  isListType,
  isNonNullType,
  Kind,
  type OperationDefinitionNode,
  type SelectionSetNode,
} from "graphql";
import type * as Complexity from "graphql-query-complexity";

// The ESM build of graphql-query-complexity loads the other copy of graphql
// (ESM), which breaks instanceof checks against ours: load its CommonJS build.
const { getComplexity } = createRequire(import.meta.url)("graphql-query-complexity") as typeof Complexity;

export interface DocumentLimits {
  /** Deepest field nesting a document may have (the operation's top fields are depth 1). */
  readonly maxDepth: number;
  /** Highest estimated cost: each field costs 1, and a list multiplies what is under it by `listFanOut`. */
  readonly maxCost: number;
}

export const DEFAULT_DOCUMENT_LIMITS: DocumentLimits = { maxDepth: 10, maxCost: 10_000 };

/** How many items a list is assumed to hold when the cost is estimated. */
export const LIST_FAN_OUT = 10;

/** Refuses a document past either limit with BAD_USER_INPUT naming the limit, before execution. */
export function documentLimitsPlugin(limits: DocumentLimits): ApolloServerPlugin {
  return {
    async requestDidStart() {
      return {
        async didResolveOperation({ document, operationName, request, schema }) {
          const refusal = checkDocument(schema, document, { operationName, variables: request.variables }, limits);
          if (refusal) throw refusal;
        },
      };
    },
  };
}

export function checkDocument(
  schema: GraphQLSchema,
  document: DocumentNode,
  request: { operationName?: string | null | undefined; variables?: Record<string, unknown> | undefined },
  limits: DocumentLimits,
): GraphQLError | null {
  const operation = document.definitions.find(
    (d): d is OperationDefinitionNode =>
      d.kind === Kind.OPERATION_DEFINITION && (request.operationName == null || d.name?.value === request.operationName),
  );
  if (!operation) return null;
  const depth = documentDepth(document, operation);
  if (depth > limits.maxDepth) {
    return refusal(
      `the document is nested ${depth} levels deep, more than the limit of ${limits.maxDepth} (--max-query-depth)`,
      "maxDepth",
    );
  }
  let cost: number;
  try {
    cost = getComplexity({
      schema,
      query: document,
      variables: request.variables ?? {},
      ...(request.operationName ? { operationName: request.operationName } : {}),
      estimators: [fanOutEstimator],
      // Bounds the estimator's own walk: fragments spread many times would otherwise expand without end.
      maxQueryNodes: 100_000,
    });
  } catch {
    cost = Number.POSITIVE_INFINITY;
  }
  if (!(cost <= limits.maxCost)) {
    const shown = Number.isFinite(cost) ? String(cost) : "too many fields to count";
    return refusal(
      `the document's estimated cost is ${shown}, more than the limit of ${limits.maxCost} (--max-query-cost); lists count ` +
        `${LIST_FAN_OUT} items each`,
      "maxCost",
    );
  }
  return null;
}

const fanOutEstimator: Complexity.ComplexityEstimator = ({ type: parent, field, childComplexity }) => {
  // Introspection reads the schema, which is small and fixed; the depth limit bounds its nesting.
  if (parent.name.startsWith("__") || field.name.startsWith("__")) return 0;
  const type = isNonNullType(field.type) ? field.type.ofType : field.type;
  return 1 + (isListType(type) ? LIST_FAN_OUT : 1) * childComplexity;
};

function refusal(message: string, limit: "maxDepth" | "maxCost"): GraphQLError {
  return new GraphQLError(message, { extensions: { code: "BAD_USER_INPUT", limit, http: { status: 400 } } });
}

/** Deepest field nesting of one operation, following fragments (memoized: each is measured once). */
function documentDepth(document: DocumentNode, operation: OperationDefinitionNode): number {
  const fragments = new Map<string, FragmentDefinitionNode>();
  for (const d of document.definitions) if (d.kind === Kind.FRAGMENT_DEFINITION) fragments.set(d.name.value, d);
  const memo = new Map<string, number>();
  const depthOf = (set: SelectionSetNode | undefined, visiting: Set<string>): number => {
    let deepest = 0;
    for (const s of set?.selections ?? []) {
      if (s.kind === Kind.FIELD) {
        // Introspection's type references nest `ofType` as deep as a type is wrapped: not a fan-out.
        deepest = Math.max(deepest, (s.name.value === "ofType" ? 0 : 1) + depthOf(s.selectionSet, visiting));
      } else if (s.kind === Kind.INLINE_FRAGMENT) {
        deepest = Math.max(deepest, depthOf(s.selectionSet, visiting));
      } else {
        const name = s.name.value;
        if (!memo.has(name)) {
          // A cycle is a validation error already; count it as nothing here.
          if (visiting.has(name)) continue;
          visiting.add(name);
          memo.set(name, depthOf(fragments.get(name)?.selectionSet, visiting));
          visiting.delete(name);
        }
        deepest = Math.max(deepest, memo.get(name)!);
      }
    }
    return deepest;
  };
  return depthOf(operation.selectionSet, new Set());
}
