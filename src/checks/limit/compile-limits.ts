import type { LimitConfig, NamedLimitConfig } from "../../config/sections/limits.ts";
import { parseDurationMs } from "../../limit/duration.ts";
import { policyItem, policyShape, type PolicyShape } from "../../limit/headers.ts";
import type { LimitRule } from "../../limit/limit-rule.ts";
import type { LimitTable, RateLimiter } from "../../limit/rate-limiter.ts";

export type LimitKeyKind = LimitConfig["key"];

/** A configured limit ready for the request path: its bucket table and header text resolved. */
export interface CompiledLimit extends LimitRule {
  /** The id written in the config; the policy name clients see in RateLimit headers. */
  readonly name: string;
  readonly keyKind: LimitKeyKind;
  readonly cost: number;
  /** `mode: report`: decided and recorded, never enforced. */
  readonly report: boolean;
  readonly shape: PolicyShape;
  /** Pre-rendered `RateLimit-Policy` item. */
  readonly policyItem: string;
  readonly table: LimitTable;
}

/**
 * Compiles one limit. `scope` makes the bucket table unique to where the limit was declared
 * (`route:<id>`, `global`, `consumer:<name>`), so two routes with identical settings never share
 * a counter (case C022).
 */
export function compileLimit(
  scope: string,
  config: LimitConfig | NamedLimitConfig,
  keyKind: LimitKeyKind,
  limiter: RateLimiter,
): CompiledLimit {
  const perMs = config.per ? parseDurationMs(config.per)! : 1000;
  const ratePerSec = config.ratePerSec ?? (config.rate! * 1000) / perMs;
  const burst = config.burst ?? config.rate ?? Math.ceil(ratePerSec);
  const shape = policyShape(config.rate, perMs, ratePerSec, burst);
  const rule = { id: `${scope}:${config.id}`, ratePerSec, burst };
  return {
    ...rule,
    name: config.id,
    keyKind,
    cost: config.cost,
    report: config.mode === "report",
    shape,
    policyItem: policyItem(config.id, shape),
    table: limiter.table(rule),
  };
}

/** Client-address limits run before authentication unless told otherwise; the rest after. */
export function stageOf(config: LimitConfig): "pre-auth" | "post-auth" {
  return config.stage ?? (config.key === "client-address" ? "pre-auth" : "post-auth");
}
