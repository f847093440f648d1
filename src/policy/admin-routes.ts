import type { AdminRoutes } from "../server/admin-routes.ts";
import { compilePolicy } from "./compile.ts";
import { outcomeReasons } from "./outcomes.ts";
import type { DecisionTables } from "./tables.ts";

/**
 * `GET /policy/decisions`: what the policy of the running config generation decided since it
 * was loaded, by reason and by rule, with the would-be denials of `mode: report` counted apart.
 * This is how a shadow policy is judged on live traffic before it is enforced.
 */
export const policyAdminRoutes: AdminRoutes = {
  "/policy/decisions": [
    {
      method: "GET",
      mutating: false,
      handle: (_request, _params, env) =>
        Response.json(decisionReport(compilePolicy(env.gateway.current.config).tables)),
    },
  ],
};

export function decisionReport(tables: DecisionTables) {
  const { counters, model } = tables;
  const byReason = (counts: Float64Array) =>
    Object.fromEntries(
      outcomeReasons.map((reason, i) => [reason, counts[i]!]).filter(([, n]) => n !== 0),
    );
  const rules: Record<string, { decided: number; reportOnly: number }> = {};
  model.rules.forEach((rule, i) => {
    const decided = counters.rules[i]!;
    const reportOnly = counters.shadowRules[i]!;
    if (decided > 0 || reportOnly > 0) rules[rule.id] = { decided, reportOnly };
  });
  return {
    generation: tables.generation,
    since: new Date(counters.sinceMs).toISOString(),
    decisions: byReason(counters.outcomes),
    reportOnly: byReason(counters.shadowOutcomes),
    rules,
  };
}
