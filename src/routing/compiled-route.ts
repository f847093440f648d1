import type { RouteConfig } from "../config/sections/routes.ts";
import type { Check } from "../pipeline/check.ts";
import type { Upstream } from "../proxy/upstream.ts";

/** A route after config load: its checks built, its upstream resolved. Immutable per generation. */
export interface CompiledRoute {
  readonly id: string;
  /** Position in the config's `routes` list. */
  readonly index: number;
  readonly config: RouteConfig;
  /** The route's chain in stage order; see pipeline/chain.ts. */
  readonly checks: readonly Check[];
  /** The check factory id of each entry in `checks`, for per-check metrics. */
  readonly checkIds: readonly string[];
  readonly upstream: Upstream;
}
