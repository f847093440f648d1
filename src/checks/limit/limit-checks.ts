import type { GatewayConfig } from "../../config/schema.ts";
import type { RouteConfig } from "../../config/sections/routes.ts";
import type { RateLimiter } from "../../limit/rate-limiter.ts";
import type { Check, CheckEnvironment, CheckFactory } from "../../pipeline/check.ts";
import { compileLimit, stageOf, type CompiledLimit } from "./compile-limits.ts";
import { createLimitEvaluator, type BoundLimit } from "./evaluate-limits.ts";

type Stage = "pre-auth" | "post-auth";

/** Limits keyed by client address (or route), before authentication: blunts credential stuffing. */
export const preAuthLimitCheck: CheckFactory = {
  id: "limit.pre-auth",
  create: (route, env) => createStageCheck("pre-auth", route, env),
};

/** Limits keyed by identity (consumer, credential, tenant) and the named consumer/tenant limits. */
export const postAuthLimitCheck: CheckFactory = {
  id: "limit.post-auth",
  create: (route, env) => createStageCheck("post-auth", route, env),
};

function createStageCheck(stage: Stage, route: RouteConfig, env: CheckEnvironment): Check | null {
  const limiter = env.services.limits.limiter;
  const settings = env.config.rateLimits;
  const bound: BoundLimit[] = [];
  for (const limit of route.limits ?? []) {
    if (stageOf(limit) !== stage) continue;
    const compiled = compileLimit(`route:${route.id}`, limit, limit.key, limiter);
    bound.push({ limit: compiled, fixedKey: fixedKey(compiled, "") });
  }
  for (const limit of settings.limits) {
    if (stageOf(limit) !== stage) continue;
    // A global limit keyed by route counts each route separately; keyed by global, all together.
    const compiled = compileLimit("global", limit, limit.key, limiter);
    bound.push({ limit: compiled, fixedKey: fixedKey(compiled, route.id) });
  }

  const named = stage === "post-auth" ? namedLimits(env.config, limiter) : null;
  if (bound.length === 0 && !named) return null;
  return createLimitEvaluator(limiter, bound, {
    headers: settings.headers,
    legacyHeaders: settings.legacyHeaders,
    consumers: named?.consumers ?? null,
    tenants: named?.tenants ?? null,
  });
}

function fixedKey(limit: CompiledLimit, routeKey: string): string | null {
  if (limit.keyKind === "route") return routeKey;
  if (limit.keyKind === "global") return "";
  return null;
}

interface NamedLimits {
  readonly consumers: ReadonlyMap<string, readonly CompiledLimit[]> | null;
  readonly tenants: ReadonlyMap<string, readonly CompiledLimit[]> | null;
}

/** Compiled once per config generation and shared by every route's check. */
const namedCache = new WeakMap<GatewayConfig, NamedLimits | null>();

function namedLimits(config: GatewayConfig, limiter: RateLimiter): NamedLimits | null {
  if (namedCache.has(config)) return namedCache.get(config)!;
  type NamedTable = GatewayConfig["rateLimits"]["consumers"];
  const compileAll = (kind: "consumer" | "tenant", table: NamedTable) => {
    const entries = Object.entries(table).filter(([, limits]) => limits.length > 0);
    if (entries.length === 0) return null;
    return new Map(
      entries.map(([name, limits]) => [
        name,
        limits.map((limit) => compileLimit(`${kind}:${name}`, limit, kind, limiter)),
      ]),
    );
  };
  const consumers = compileAll("consumer", config.rateLimits.consumers);
  const tenants = compileAll("tenant", config.rateLimits.tenants);
  const named = consumers || tenants ? { consumers, tenants } : null;
  namedCache.set(config, named);
  return named;
}
