import type { RouteConfig } from "../config/sections/routes.ts";
import type { Check, CheckEnvironment, CheckFactory } from "./check.ts";
import { authnCheck } from "../checks/authn/authn.ts";
import { authzCheck } from "../checks/authz/policy-check.ts";
import { postAuthLimitCheck, preAuthLimitCheck } from "../checks/limit/limit-checks.ts";

/**
 * Stage order, the one place it is written: limits by client address first (cheap, blunts
 * credential stuffing), then authentication, authorization, and limits by identity.
 * A new check is one file plus one line here.
 */
export const checkChain: readonly CheckFactory[] = [
  preAuthLimitCheck,
  authnCheck,
  authzCheck,
  postAuthLimitCheck,
];

/**
 * Builds one route's checks in stage order, leaving out those with nothing to do there.
 * `ids[i]` names `checks[i]` for metrics and audit.
 */
export function buildRouteChecks(route: RouteConfig, env: CheckEnvironment) {
  const checks: Check[] = [];
  const ids: string[] = [];
  for (const factory of checkChain) {
    const check = factory.create(route, env);
    if (!check) continue;
    checks.push(check);
    ids.push(factory.id);
  }
  return { checks, ids };
}
