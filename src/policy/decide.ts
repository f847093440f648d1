import { methodCount } from "./methods.ts";
import { Outcome, isAllowed, pack } from "./outcomes.ts";
import { containsAll, firstCommonId, sparseIntersects } from "./sparse-mask.ts";
import type { DecisionTables } from "./tables.ts";

/**
 * The one decision, used by the request path and by explain/test/matrix alike: array indexing
 * and bit tests over the caller's sparse mask, no string comparison except the tenant values,
 * no allocation. Order: identity, explicit deny, grant, scopes, tenant binding.
 *
 * @param caller the caller's interned mask, or null for a request without identity
 * @param callerTenant the caller's tenant
 * @param presented the tenant value the request names (path parameter or header), if bound
 */
export function decideRequest(
  t: DecisionTables,
  route: number,
  column: number,
  caller: Uint32Array | null,
  callerTenant: string | null,
  presented: string | null | undefined,
): number {
  const access = decideAccess(t, route, column, caller);
  if ((access & 15) !== Outcome.allowed) return access;
  const binding = t.routes[route]!.tenant;
  if (binding === null || caller === null) return access;

  const bypass = t.routes[route]!.tenantBypass;
  if (bypass.length > 0 && sparseIntersects(caller, bypass)) return access;
  if (!presented || callerTenant === null) return pack(Outcome.tenantMissing, -1);
  return presented === callerTenant ? access : pack(Outcome.tenantMismatch, -1);
}

function decideAccess(
  t: DecisionTables,
  route: number,
  column: number,
  caller: Uint32Array | null,
): number {
  if (column < 0) return pack(Outcome.deniedByDefault, -1);
  const cell = route * methodCount + column;
  const denyAll = t.denyAllRule[cell]!;
  const open = t.routes[route]!.open;
  if (caller === null) {
    if (denyAll >= 0) return pack(Outcome.deniedByRule, denyAll);
    return pack(open ? Outcome.allowedOpen : Outcome.identityMissing, -1);
  }

  // Explicit deny overrides every grant; the earliest deny rule is the one named.
  const denied = firstCommonId(caller, t.deny, cell);
  if (denyAll >= 0 || denied >= 0) {
    const byRole = denied >= 0 ? t.denyRuleOf.get(cell * t.stride + denied)! : -1;
    const rule = denyAll < 0 ? byRole : byRole < 0 ? denyAll : Math.min(denyAll, byRole);
    return pack(Outcome.deniedByRule, rule);
  }
  if (open) return pack(Outcome.allowedOpen, -1);

  const granted = firstCommonId(caller, t.allow, cell);
  const rule = granted >= 0 ? t.allowRuleOf.get(cell * t.stride + granted)! : t.anyAllowRule[cell]!;
  if (rule < 0) return pack(missingGrant(t, route, caller), -1);
  const scopes = t.routes[route]!.scopes;
  if (scopes.length > 0 && !containsAll(caller, scopes)) return pack(Outcome.scopeMissing, -1);
  return pack(Outcome.allowed, rule);
}

/** Only reached on a denial: tells "granted here, but not this method" from "nothing here". */
function missingGrant(t: DecisionTables, route: number, caller: Uint32Array) {
  if (firstCommonId(caller, t.routeGrants, route) >= 0) return Outcome.methodNotGranted;
  for (let column = 0; column < methodCount; column++) {
    if (t.anyAllowRule[route * methodCount + column]! >= 0) return Outcome.methodNotGranted;
  }
  return Outcome.deniedByDefault;
}

/**
 * The denial shadow mode records for a request, or -1: the enforced denial itself on a route in
 * `mode: report`, or the first report-mode deny rule matching an otherwise allowed request.
 */
export function shadowDenial(
  t: DecisionTables,
  route: number,
  column: number,
  caller: Uint32Array | null,
  enforced: number,
): number {
  // The missing-identity backstop fails closed in every mode: it guards a broken chain, not a
  // policy being tried out.
  if (!isAllowed(enforced)) {
    const shadowed = t.routes[route]!.report && (enforced & 15) !== Outcome.identityMissing;
    return shadowed ? enforced : -1;
  }
  if (column < 0) return -1;
  const cell = route * methodCount + column;
  const all = t.reportDenyAllRule[cell]!;
  const byRoleId = caller === null ? -1 : firstCommonId(caller, t.reportDeny, cell);
  const byRole = byRoleId >= 0 ? t.reportDenyRuleOf.get(cell * t.stride + byRoleId)! : -1;
  if (all < 0 && byRole < 0) return -1;
  const rule = all < 0 ? byRole : byRole < 0 ? all : Math.min(all, byRole);
  return pack(Outcome.deniedByRule, rule);
}
