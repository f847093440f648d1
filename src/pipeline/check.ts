import type { GatewayConfig } from "../config/schema.ts";
import type { RouteConfig } from "../config/sections/routes.ts";
import type { RequestContext } from "../server/context.ts";
import type { Services } from "../server/services.ts";
import type { Verdict } from "./verdict.ts";

/**
 * The per-request function every check returns. Synchronous where it can be: a promise costs a
 * microtask per request, so only checks that may wait (a JWKS fetch) return one.
 */
export type Check = (ctx: RequestContext) => Verdict | Promise<Verdict>;

/** What a check factory may read while it builds a route's check, once per config load. */
export interface CheckEnvironment {
  readonly config: GatewayConfig;
  readonly services: Services;
  /** Increases with every config load; lets caches tell one generation's tables from another. */
  readonly generation: number;
}

/**
 * A check as the chain knows it. `create` runs at config load for each route and returns null
 * when the check has nothing to do on that route, so the route pays nothing for it.
 */
export interface CheckFactory {
  readonly id: string;
  create(route: RouteConfig, env: CheckEnvironment): Check | null;
}
