import type { ErrorCode } from "../errors.ts";
import type { DecisionTables } from "./tables.ts";

/**
 * What a decision can come to. A decision is packed into one number, `outcome + 16 * (rule + 1)`,
 * so deciding allocates nothing; `rule` is an index into the compiled rules, or -1.
 */
export const Outcome = {
  allowed: 0,
  /** An anonymous route that no rule restricts. */
  allowedOpen: 1,
  deniedByRule: 2,
  /** No rule grants the caller's roles anything here. */
  deniedByDefault: 3,
  /** The caller's roles are granted on this route, but for other methods. */
  methodNotGranted: 4,
  scopeMissing: 5,
  tenantMismatch: 6,
  /** The request carries no tenant value, or the caller has no tenant. */
  tenantMissing: 7,
  /** No identity on a route that needs one: authentication should have answered already. */
  identityMissing: 8,
} as const;

export type OutcomeCode = (typeof Outcome)[keyof typeof Outcome];

/** Stable reason codes for audit records and metrics, by outcome. Never renamed or reused. */
export const outcomeReasons: readonly string[] = [
  "authz.allowed",
  "authz.allowed.anonymous",
  "authz.denied.rule",
  "authz.denied.default",
  "authz.method_not_granted",
  "authz.scope_missing",
  "authz.tenant_mismatch",
  "authz.tenant_missing",
  "authz.identity_missing",
];

/** Rule ids for outcomes no configured rule decided. */
export const defaultDenyRuleId = "default-deny";

export function pack(outcome: OutcomeCode, rule: number): number {
  return outcome + 16 * (rule + 1);
}

export function outcomeOf(packed: number): OutcomeCode {
  return (packed & 15) as OutcomeCode;
}

export function ruleOf(packed: number): number {
  return (packed >>> 4) - 1;
}

export function isAllowed(packed: number): boolean {
  return (packed & 15) <= Outcome.allowedOpen;
}

/** The public code a client sees for a denial outcome. */
export function publicCodeOf(outcome: OutcomeCode): ErrorCode {
  return outcome === Outcome.identityMissing ? "authn.missing" : "authz.denied";
}

/** Reason on an allowed request whose enforced decision was a denial in `mode: report`. */
export const reportOnlyReason = "authz.report_only";

/**
 * The id of the rule behind a decision: a configured rule, the route's own scope or tenant
 * binding, or the default. This is what audit records and explain show.
 */
export function describeRule(t: DecisionTables, route: number, packed: number): string {
  const rule = ruleOf(packed);
  if (rule >= 0) return t.model.rules[rule]!.id;
  const info = t.routes[route]!;
  switch (outcomeOf(packed)) {
    case Outcome.scopeMissing:
      return `${info.id}.scopes`;
    case Outcome.tenantMismatch:
    case Outcome.tenantMissing:
      return info.tenant?.ruleId ?? `${info.id}.tenant`;
    case Outcome.identityMissing:
      return `${info.id}.auth`;
    case Outcome.allowedOpen:
      return `${info.id}.anonymous`;
    default:
      return defaultDenyRuleId;
  }
}
