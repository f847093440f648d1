import type { RouteConfig } from "../../config/sections/routes.ts";
import type { Check, CheckFactory } from "../../pipeline/check.ts";
import { ALLOW, deny, type Denial } from "../../pipeline/verdict.ts";
import type { RequestContext } from "../../server/context.ts";
import { callerMaskOf } from "../../policy/caller-mask.ts";
import { compilePolicy } from "../../policy/compile.ts";
import { decideRequest, shadowDenial } from "../../policy/decide.ts";
import { methodCount, methodIndexOf } from "../../policy/methods.ts";
import { describeRule, publicCodeOf, reportOnlyReason } from "../../policy/outcomes.ts";
import { Outcome, isAllowed, outcomeOf, outcomeReasons, ruleOf } from "../../policy/outcomes.ts";
import type { OutcomeCode } from "../../policy/outcomes.ts";
import type { DecisionTables } from "../../policy/tables.ts";

/** The authorization stage: the route's row of the compiled decision tables. */
export const authzCheck: CheckFactory = {
  id: "authz",
  create: (route, env) => createAuthzCheck(route, compilePolicy(env.config).tables),
};

/**
 * Builds one route's authorization check over tables compiled for the current config. Returns
 * null for an anonymous route that no rule touches, so such a route pays nothing. The tables
 * are captured here: a reload builds new checks over new tables, and a request already running
 * finishes on the ones it started with.
 */
export function createAuthzCheck(route: RouteConfig, tables: DecisionTables): Check | null {
  const index = tables.routeIndex.get(route.id) ?? -1;
  if (index < 0) throw new TypeError(`route "${route.id}" is not part of these policy tables`);
  const info = tables.routes[index]!;
  if (info.open && !touchedByDenyRules(tables, index)) return null;

  const denials = denialsFor(tables, index);
  const binding = info.tenant;
  const bindingName = binding?.name ?? "";
  const fromParam = binding?.source === "param";
  const hasShadow = info.report || touchedByReportRules(tables, index);
  const counters = tables.counters;

  return function authz(ctx: RequestContext) {
    const column = methodIndexOf(ctx.method);
    const identity = ctx.identity;
    const caller = identity === null ? null : callerMaskOf(tables, identity);
    let presented: string | null | undefined;
    if (binding !== null && identity !== null) {
      presented = fromParam ? ctx.params?.[bindingName] : ctx.request.headers.get(bindingName);
    }
    const tenant = identity === null ? null : identity.tenant;
    const decided = decideRequest(tables, index, column, caller, tenant, presented);
    const rule = ruleOf(decided);
    counters.outcomes[decided & 15]!++;
    if (rule >= 0) counters.rules[rule]!++;

    if (hasShadow) {
      const shadow = shadowDenial(tables, index, column, caller, decided);
      if (shadow >= 0) {
        (ctx.reportOnly ??= []).push(shadowEntry(tables, index, shadow));
        countShadow(tables, shadow);
        if (!isAllowed(decided)) {
          ctx.ruleId = denials.ruleIdOf(decided);
          ctx.reason = reportOnlyReason;
          return ALLOW;
        }
      }
    }
    if (isAllowed(decided)) {
      ctx.ruleId = rule < 0 ? null : tables.model.rules[rule]!.id;
      ctx.reason = outcomeReasons[decided & 15]!;
      return ALLOW;
    }
    return denials.of(decided);
  };
}

/**
 * The denials this route answers with, each built on first use and kept: after that a denial
 * on the request path is a lookup, not an allocation.
 */
function denialsFor(tables: DecisionTables, route: number) {
  const byOutcome = new Map<number, Denial>();
  const byRule = new Map<number, Denial>();
  const ruleIdOf = (packed: number) => describeRule(tables, route, packed);

  const of = (packed: number): Denial => {
    const outcome = outcomeOf(packed);
    const rule = ruleOf(packed);
    const cache = rule >= 0 ? byRule : byOutcome;
    const key = rule >= 0 ? rule : outcome;
    let denial = cache.get(key);
    if (!denial) {
      denial = makeDenial(outcome, ruleIdOf(packed));
      cache.set(key, denial);
    }
    return denial;
  };
  return { of, ruleIdOf };
}

/** Denials say nothing about the policy to the client: code only, the rest is for audit. */
function makeDenial(outcome: OutcomeCode, ruleId: string): Denial {
  const code = publicCodeOf(outcome);
  const reason = outcomeReasons[outcome]!;
  if (outcome === Outcome.identityMissing) {
    // RFC 9110 §11.6.1: a 401 carries a challenge; the same one authentication sends.
    return deny(code, reason, { ruleId, headers: missingChallenge });
  }
  return deny(code, reason, { ruleId });
}

const missingChallenge = Object.freeze({ "www-authenticate": 'Bearer realm="portcullis"' });

function countShadow(tables: DecisionTables, shadow: number): void {
  tables.counters.shadowOutcomes[shadow & 15]!++;
  const rule = ruleOf(shadow);
  if (rule >= 0) tables.counters.shadowRules[rule]!++;
}

function shadowEntry(tables: DecisionTables, route: number, packed: number): string {
  return `${outcomeReasons[packed & 15]}:${describeRule(tables, route, packed)}`;
}

function cellsOf(route: number): number[] {
  return Array.from({ length: methodCount }, (_, c) => route * methodCount + c);
}

function touchedByDenyRules(tables: DecisionTables, route: number): boolean {
  return cellsOf(route).some(
    (cell) =>
      tables.denyAllRule[cell]! >= 0 ||
      tables.deny.hi[cell]! > tables.deny.lo[cell]! ||
      tables.reportDenyAllRule[cell]! >= 0 ||
      tables.reportDeny.hi[cell]! > tables.reportDeny.lo[cell]!,
  );
}

function touchedByReportRules(tables: DecisionTables, route: number): boolean {
  return cellsOf(route).some(
    (cell) =>
      tables.reportDenyAllRule[cell]! >= 0 ||
      tables.reportDeny.hi[cell]! > tables.reportDeny.lo[cell]!,
  );
}
