import type { Identity } from "../../identity/identity.ts";
import { retryAfterSeconds, serviceLimitItem } from "../../limit/headers.ts";
import { createDecision, type Decision } from "../../limit/limit-rule.ts";
import type { RateLimiter } from "../../limit/rate-limiter.ts";
import { ALLOW, deny, type Verdict } from "../../pipeline/verdict.ts";
import type { RequestContext } from "../../server/context.ts";
import type { CompiledLimit } from "./compile-limits.ts";

/** A limit bound to one route; `fixedKey` is set when the key does not depend on the request. */
export interface BoundLimit {
  readonly limit: CompiledLimit;
  readonly fixedKey: string | null;
}

export interface EvaluatorOptions {
  readonly headers: boolean;
  readonly legacyHeaders: boolean;
  /** Limits for named consumers and tenants (post-auth stage only). */
  readonly consumers: ReadonlyMap<string, readonly CompiledLimit[]> | null;
  readonly tenants: ReadonlyMap<string, readonly CompiledLimit[]> | null;
}

/**
 * The per-request step shared by both limit stages. Every applicable limit is checked first and
 * only if all enforced ones pass is any of them charged: a refused request consumes nothing.
 * Decisions live in preallocated slots, so the request allocates only its header strings.
 */
export function createLimitEvaluator(
  limiter: RateLimiter,
  bound: readonly BoundLimit[],
  options: EvaluatorOptions,
): (ctx: RequestContext) => Verdict {
  const capacity = bound.length + longest(options.consumers) + longest(options.tenants);
  const decisions: Decision[] = Array.from({ length: capacity }, createDecision);
  const used: CompiledLimit[] = new Array(capacity);
  let count = 0;

  const consider = (limit: CompiledLimit, key: string | null) => {
    if (key === null) return;
    limiter.check(limit.table, key, limit.cost, decisions[count]!);
    used[count++] = limit;
  };

  return function evaluateLimits(ctx) {
    count = 0;
    for (let i = 0; i < bound.length; i++) {
      const b = bound[i]!;
      consider(b.limit, b.fixedKey ?? keyOf(b.limit, ctx));
    }
    const identity = ctx.identity;
    if (identity && options.consumers) {
      considerNamed(options.consumers.get(identity.subject), identity.subject);
    }
    if (identity?.tenant && options.tenants) {
      considerNamed(options.tenants.get(identity.tenant), identity.tenant);
    }
    if (count === 0) return ALLOW;

    const refused = pickRefused(ctx);
    if (refused >= 0) return refuse(ctx, used[refused]!, decisions[refused]!, options);

    let tightest = -1;
    for (let i = 0; i < count; i++) {
      const decision = decisions[i]!;
      if (!decision.allowed) continue;
      limiter.commit(decision);
      if (used[i]!.report) continue;
      if (tightest < 0 || decision.remaining < decisions[tightest]!.remaining) tightest = i;
    }
    ctx.limitOutcome ??= "allowed";
    if (tightest >= 0 && options.headers) {
      advertise(ctx, used[tightest]!, decisions[tightest]!, options);
    }
    return ALLOW;
  };

  function considerNamed(limits: readonly CompiledLimit[] | undefined, key: string) {
    if (!limits) return;
    for (let i = 0; i < limits.length; i++) consider(limits[i]!, key);
  }

  /** The enforced refusal with the longest wait (what the client must honour); -1 when none. */
  function pickRefused(ctx: RequestContext): number {
    let worst = -1;
    for (let i = 0; i < count; i++) {
      const decision = decisions[i]!;
      if (decision.allowed) continue;
      if (used[i]!.report) {
        (ctx.reportOnly ??= []).push(`limit:${used[i]!.name}`);
        ctx.limitOutcome = `would-limit:${used[i]!.name}`;
        continue;
      }
      if (worst < 0 || decision.retryAfterMs > decisions[worst]!.retryAfterMs) worst = i;
    }
    return worst;
  }
}

function keyOf(limit: CompiledLimit, ctx: RequestContext): string | null {
  switch (limit.keyKind) {
    case "client-address":
      return ctx.clientAddress;
    case "consumer":
      return identityKey(ctx.identity, "subject");
    case "credential":
      return identityKey(ctx.identity, "credentialId");
    case "tenant":
      return identityKey(ctx.identity, "tenant");
    default:
      return "";
  }
}

/** Anonymous requests have no identity key: identity limits do not apply to them. */
function identityKey(identity: Identity | null, field: "subject" | "credentialId" | "tenant") {
  return identity ? identity[field] : null;
}

function refuse(
  ctx: RequestContext,
  limit: CompiledLimit,
  decision: Decision,
  options: EvaluatorOptions,
) {
  ctx.limitOutcome = `limited:${limit.name}`;
  const retryAfter = String(retryAfterSeconds(decision.retryAfterMs));
  const headers: Record<string, string> = { "retry-after": retryAfter };
  if (options.headers) {
    headers["ratelimit-policy"] = limit.policyItem;
    headers["ratelimit"] = serviceLimitItem(limit.name, decision.remaining, decision.resetMs);
  }
  if (options.legacyHeaders) addLegacy(headers, limit, decision);
  const reason = decision.overflow ? "limit.key_table_full" : "limit.exceeded";
  return deny("limit.exceeded", reason, {
    ruleId: limit.id,
    headers,
    detail: `Limit "${limit.name}" allows ${limit.shape.quota} per ${limit.shape.windowSec} s.`,
  });
}

/**
 * Allowed responses carry the tightest limit that applied. The pre-auth stage and the post-auth
 * stage both write here; the later one replaces the headers only if its limit is tighter.
 */
function advertise(
  ctx: RequestContext,
  limit: CompiledLimit,
  decision: Decision,
  options: EvaluatorOptions,
) {
  if (ctx.limitRemaining !== undefined && ctx.limitRemaining <= decision.remaining) return;
  ctx.limitRemaining = decision.remaining;
  const headers = (ctx.responseHeaders ??= {});
  headers["ratelimit-policy"] = limit.policyItem;
  headers["ratelimit"] = serviceLimitItem(limit.name, decision.remaining, decision.resetMs);
  if (options.legacyHeaders) addLegacy(headers, limit, decision);
}

function addLegacy(headers: Record<string, string>, limit: CompiledLimit, decision: Decision) {
  headers["x-ratelimit-limit"] = String(limit.shape.quota);
  headers["x-ratelimit-remaining"] = String(decision.remaining);
  headers["x-ratelimit-reset"] = String(Math.ceil(decision.resetMs / 1000));
}

function longest(map: ReadonlyMap<string, readonly CompiledLimit[]> | null): number {
  let most = 0;
  if (map) for (const limits of map.values()) most = Math.max(most, limits.length);
  return most;
}
