/** Methods a route can list, each with a fixed bit; the schema allows no others. */
export const routeMethods = ["GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"] as const;

const anyMethodMask = (1 << routeMethods.length) - 1;

/** Bit column of a request method, or -1 for one no route can accept (TRACE, CONNECT, ...). */
export function methodColumn(method: string): number {
  switch (method) {
    case "GET":
      return 0;
    case "HEAD":
      return 1;
    case "POST":
      return 2;
    case "PUT":
      return 3;
    case "PATCH":
      return 4;
    case "DELETE":
      return 5;
    case "OPTIONS":
      return 6;
    default:
      return -1;
  }
}

/**
 * Method mask of a route. A route without `methods` takes the seven listed ones; one that
 * lists GET also takes HEAD (RFC 9110 §9.3.2: HEAD is GET without content).
 */
export function methodMaskOf(methods: readonly string[] | undefined): number {
  if (methods === undefined) return anyMethodMask;
  let mask = 0;
  for (const method of methods) mask |= 1 << methodColumn(method);
  if ((mask & 1) !== 0) mask |= 2;
  return mask;
}

/** A route as the matcher stores it. */
export interface RouteSlot {
  /** Position in the config's `routes`. */
  readonly index: number;
  readonly paramNames: readonly string[];
  /** Orders matches of different paths: more static segments, then params, then exact. */
  readonly pathScore: number;
  /** Lower-cased host rules and path; routes that differ only in letter case share it. */
  readonly foldKey: string;
  readonly methodMask: number;
}

/** Why no route was selected; `allow` comes with a 405 (RFC 9110 §15.5.6). */
export interface RouteMiss {
  readonly miss: "route.not_found" | "route.method_not_allowed" | "path.ambiguous";
  readonly allow?: string;
}

/** Routes that end at the same trie node, in config order. */
export interface RouteSet {
  readonly slots: RouteSlot[];
  /** Per method column, the first slot in config order that accepts it. */
  byMethod: readonly (RouteSlot | null)[];
  /** The 405 answer of this set, with its `Allow` value (RFC 9110 §10.2.1). */
  methodMiss: RouteMiss;
}

export function createRouteSet(): RouteSet {
  return { slots: [], byMethod: [], methodMiss: { miss: "route.method_not_allowed" } };
}

/** Fills the per-method table once all routes are inserted. */
export function finishRouteSet(set: RouteSet): void {
  set.byMethod = routeMethods.map((_, column) => {
    return set.slots.find((slot) => (slot.methodMask & (1 << column)) !== 0) ?? null;
  });
  const allow = routeMethods.filter((_, column) => set.byMethod[column] !== null).join(", ");
  set.methodMiss = Object.freeze({ miss: "route.method_not_allowed", allow });
}
