// What a document selects below the field being resolved, read here and
// handed to the service as plain data, so that it reads only what is asked
// (e.g. no latency query without a latency field).

import { type GraphQLResolveInfo, Kind, type SelectionSetNode } from "graphql";

/**
 * Whether the field being resolved selects `path` below it, through fragments.
 * Directives are ignored: a field under @skip/@include counts as selected,
 * which costs a query at worst and never loses data.
 */
export function selects(info: GraphQLResolveInfo, path: readonly string[]): boolean {
  const walk = (set: SelectionSetNode | undefined, depth: number): boolean =>
    (set?.selections ?? []).some((s) => {
      if (s.kind === Kind.FIELD) return s.name.value === path[depth] && (depth === path.length - 1 || walk(s.selectionSet, depth + 1));
      if (s.kind === Kind.INLINE_FRAGMENT) return walk(s.selectionSet, depth);
      const fragment = info.fragments[s.name.value];
      return fragment !== undefined && walk(fragment.selectionSet, depth);
    });
  return info.fieldNodes.some((node) => walk(node.selectionSet, 0));
}

/** Whether a field of TrafficMetrics (or a list of them), reached through `path`, selects its latency. */
export const selectsLatency = (info: GraphQLResolveInfo, ...path: string[]): boolean => selects(info, [...path, "latency"]);
