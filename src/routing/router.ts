import type { RouteConfig } from "../config/sections/routes.ts";
import type { PathRules } from "./canonical-path.ts";
import { createHostTable, hostGroupFor, hostKeyOf, type HostTable } from "./host-table.ts";
import { parseRoutePattern, routeProblems, type RoutePattern } from "./route-pattern.ts";
import { finishRouteSet, methodColumn, methodMaskOf } from "./route-set.ts";
import type { RouteMiss, RouteSet, RouteSlot } from "./route-set.ts";
import { insertRoute, lookupRoute, staticTexts, type RouteTrie } from "./route-trie.ts";

export type { RouteMiss } from "./route-set.ts";

/** A selected route: its position in the config's `routes`, and its path parameters. */
export interface RouteMatch {
  readonly index: number;
  /** Canonical-form segment text (still percent-encoded where the path was); null if none. */
  readonly params: Readonly<Record<string, string>> | null;
}

export interface Router {
  /**
   * Selects the route for a canonical path. `host` is lower-case without port. `mergedAt` is
   * the canonicaliser's list of merged slashes; with it, an ambiguous path is refused.
   */
  match(
    method: string,
    host: string,
    path: string,
    mergedAt?: readonly number[] | null,
  ): RouteMatch | RouteMiss;
  readonly routeCount: number;
}

const notFound: RouteMiss = Object.freeze({ miss: "route.not_found" });
const ambiguous: RouteMiss = Object.freeze({ miss: "path.ambiguous" });
/** More merged slashes than this in one path is refused as ambiguous outright. */
const maxMergedReadings = 16;

/**
 * Compiles the route table once. Precedence, most specific first:
 * 1. host: exact name, then `*.suffix` (longest suffix first), then routes without `hosts`;
 *    the first host group with a path match decides;
 * 2. path, segment by segment from the left: static text, then a `:param`, then a prefix
 *    `/*` (so a longer prefix beats a shorter one, and an exact path beats a prefix ending
 *    at the same place);
 * 3. method: among routes with the same host rule and path, the first in config order that
 *    lists the method. When the most specific path has no route for the method the answer
 *    is 405: a request never falls through to a less specific route because of its method.
 * A trailing slash is not significant, in route paths or request paths.
 */
export function createRouter(routes: readonly RouteConfig[], rules: PathRules): Router {
  const caseSensitive = rules.caseSensitive;
  const table = createHostTable(caseSensitive);
  const maxParams = compileRoutes(routes, table, caseSensitive);
  const tries = allTries(table);
  for (const trie of tries) trie.sets.forEach(finishRouteSet);

  const hostSpecific = table.exact.size > 0 || table.wildcards.length > 0;
  const routesHaveUpper = caseSensitive && tries.some((t) => staticTexts(t).some(hasUpperAscii));
  const captures = new Int32Array(Math.max(2, maxParams * 2));
  let foundRank = 0;

  /** The first host group's most specific route set for `key`; sets `foundRank`. */
  function find(host: string, key: string, folded: boolean): RouteSet | null {
    if (hostSpecific) {
      const exact = table.exact.get(host);
      if (exact !== undefined) {
        const set = lookupRoute(folded ? exact.folded! : exact.primary, key, captures);
        foundRank = 2;
        if (set !== null) return set;
      }
      for (const { suffix, group } of table.wildcards) {
        if (host.length <= suffix.length || !host.endsWith(suffix)) continue;
        const set = lookupRoute(folded ? group.folded! : group.primary, key, captures);
        foundRank = 1;
        if (set !== null) return set;
      }
    }
    foundRank = 0;
    return lookupRoute(folded ? table.any.folded! : table.any.primary, key, captures);
  }

  function pick(set: RouteSet | null, column: number): RouteSlot | null {
    return set === null || column < 0 ? null : set.byMethod[column]!;
  }

  function match(
    method: string,
    host: string,
    path: string,
    mergedAt?: readonly number[] | null,
  ): RouteMatch | RouteMiss {
    const column = methodColumn(method);
    const hostKey = hostSpecific ? hostKeyOf(host) : host;
    const key = caseSensitive ? path : path.toLowerCase();

    const set = find(hostKey, key, false);
    if (set === null) return notFound;
    const slot = pick(set, column);
    if (slot === null) return set.methodMiss;
    const score = foundRank * 0x1000000 + slot.pathScore;
    const params = slot.paramNames.length === 0 ? null : readParams(slot, path, captures);

    // C005: many upstreams route case-insensitively. If ignoring case would select another
    // route (say `/admin/*` for `/ADMIN/users`), answer 404 rather than let a catch-all take it.
    if (caseSensitive && (routesHaveUpper || hasUpperAscii(path))) {
      const other = pick(find(hostKey, path.toLowerCase(), true), column);
      if (other !== slot && (other === null || other.foldKey !== slot.foldKey)) return notFound;
    }
    if (mergedAt && isAmbiguous(hostKey, key, mergedAt, column, slot, score)) return ambiguous;
    return { index: slot.index, params };
  }

  /**
   * Bun resolves `..` before we see the path, so `/public//..//admin` reaches us as
   * `/public//admin`: merging would give `/public/admin`, while a server that merges first
   * reads `/admin`. We cannot tell whether a `..` was there, so each merged slash is also read
   * as if it had removed the segment before it; if that reading selects another route at least
   * as specific as ours, the path is refused as ambiguous. Each reading costs a lookup, so a
   * path with more than `maxMergedReadings` merged slashes is refused without trying them.
   */
  function isAmbiguous(
    host: string,
    key: string,
    mergedAt: readonly number[],
    column: number,
    slot: RouteSlot,
    score: number,
  ): boolean {
    if (mergedAt.length > maxMergedReadings) return true;
    for (const at of mergedAt) {
      const before = key.lastIndexOf("/", at - 1);
      if (before < 0) continue;
      const other = pick(find(host, key.slice(0, before) + key.slice(at), false), column);
      if (other === null || other === slot) continue;
      if (foundRank * 0x1000000 + other.pathScore >= score) return true;
    }
    return false;
  }

  return { match, routeCount: routes.length };
}

/** Inserts every route into its host groups; returns the largest parameter count. */
function compileRoutes(routes: readonly RouteConfig[], table: HostTable, caseSensitive: boolean) {
  let maxParams = 0;
  routes.forEach((route, index) => {
    const problems = routeProblems(route);
    if (problems.length > 0) {
      const first = problems[0]!;
      throw new TypeError(`routes[${index}].${first.field}: ${first.message}`);
    }
    const pattern = parseRoutePattern(route.path) as RoutePattern;
    maxParams = Math.max(maxParams, pattern.paramNames.length);
    const slot = slotOf(route, index, pattern);

    for (const host of route.hosts ?? [undefined]) {
      const group = hostGroupFor(table, host, caseSensitive);
      insertRoute(group.primary, pattern, !caseSensitive, slot);
      if (group.folded) insertRoute(group.folded, pattern, true, slot);
    }
  });
  return maxParams;
}

function slotOf(route: RouteConfig, index: number, pattern: RoutePattern): RouteSlot {
  const hosts = [...(route.hosts ?? ["*"])].sort().join(",");
  return {
    index,
    paramNames: pattern.paramNames,
    pathScore:
      pattern.staticCount * 0x1000 + pattern.paramNames.length * 0x10 + (pattern.prefix ? 0 : 1),
    foldKey: `${hosts} ${route.path.toLowerCase()}`,
    methodMask: methodMaskOf(route.methods),
  };
}

function readParams(slot: RouteSlot, path: string, captures: Int32Array) {
  const params: Record<string, string> = {};
  const names = slot.paramNames;
  for (let i = 0; i < names.length; i++) {
    params[names[i]!] = path.slice(captures[i * 2]!, captures[i * 2 + 1]!);
  }
  return params;
}

function allTries(table: HostTable): RouteTrie[] {
  const groups = [table.any, ...table.exact.values(), ...table.wildcards.map((w) => w.group)];
  return groups.flatMap((g) => (g.folded ? [g.primary, g.folded] : [g.primary]));
}

/** An ASCII capital outside a percent-escape (escape hex is upper-case by construction). */
function hasUpperAscii(text: string): boolean {
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c === 0x25) i += 2;
    else if (c >= 0x41 && c <= 0x5a) return true;
  }
  return false;
}
