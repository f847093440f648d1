import { createRouteTrie, type RouteTrie } from "./route-trie.ts";

/** The routes of one host rule, with the rule's precedence rank. */
export interface HostGroup {
  /** 2 for an exact host, 1 for a `*.suffix` wildcard, 0 for routes without `hosts`. */
  readonly rank: number;
  /** Matched with the path as configured (or lower-cased when routing ignores case). */
  readonly primary: RouteTrie;
  /** Lower-cased copy for the fail-closed letter-case check; null when routing ignores case. */
  readonly folded: RouteTrie | null;
}

/**
 * Host rules: exact names in a map, wildcards as suffixes tried longest first, and the group
 * of routes that name no host. `*.example.com` matches one or more labels in front of
 * `.example.com` (`a.example.com`, `a.b.example.com`) but not `example.com` itself.
 */
export interface HostTable {
  readonly exact: Map<string, HostGroup>;
  /** Sorted by suffix length, longest first; equal lengths keep config order. */
  readonly wildcards: { readonly suffix: string; readonly group: HostGroup }[];
  readonly any: HostGroup;
}

export function createHostTable(caseSensitive: boolean): HostTable {
  return { exact: new Map(), wildcards: [], any: createGroup(0, caseSensitive) };
}

/** The group for a host rule (`undefined` for any host), created on first use. */
export function hostGroupFor(
  table: HostTable,
  rule: string | undefined,
  caseSensitive: boolean,
): HostGroup {
  if (rule === undefined) return table.any;
  if (rule.startsWith("*.")) {
    const suffix = rule.slice(1);
    const known = table.wildcards.find((w) => w.suffix === suffix);
    if (known) return known.group;
    const group = createGroup(1, caseSensitive);
    table.wildcards.push({ suffix, group });
    // Array.prototype.sort is stable, so equal lengths stay in config order.
    table.wildcards.sort((a, b) => b.suffix.length - a.suffix.length);
    return group;
  }
  let group = table.exact.get(rule);
  if (group === undefined) table.exact.set(rule, (group = createGroup(2, caseSensitive)));
  return group;
}

/**
 * The request host as the table keys it: the caller passes it lower-cased without port; a
 * final dot (the absolute form `api.example.com.`) names the same host and is dropped.
 */
export function hostKeyOf(host: string): string {
  return host.charCodeAt(host.length - 1) === 0x2e ? host.slice(0, -1) : host;
}

function createGroup(rank: number, caseSensitive: boolean): HostGroup {
  return {
    rank,
    primary: createRouteTrie(),
    folded: caseSensitive ? createRouteTrie() : null,
  };
}
