import type { Explanation, ExplainRequest, RuleSummary } from "./explain.ts";

/** Explain output for people: one labelled line per fact, most important first. */
export function formatExplanation(request: ExplainRequest, e: Explanation): string {
  const lines: [string, string][] = [];
  const verdict = e.decision === "allow" ? "ALLOW" : `DENY  ${e.status} ${e.code}`;
  lines.push(["decision", `${verdict}  (decided by ${stageNames[e.stage]})`]);
  lines.push(["reason", e.reason]);
  if (e.ruleId) lines.push(["rule", e.rule ? describe(e.rule) : e.ruleId]);
  if (e.shadow) {
    lines.push(["shadow", `would deny: ${e.shadow.reason} by ${e.shadow.ruleId} (mode: report)`]);
  }

  const canonical = e.canonicalPath && e.canonicalPath !== request.target.split("?")[0]
    ? `  (canonical ${e.canonicalPath})`
    : "";
  lines.push(["request", `${request.method} ${request.target}${canonical}`]);
  lines.push(["caller", describeCaller(request)]);
  if (e.route) {
    const params = Object.entries(e.params).map(([k, v]) => `${k}=${v}`).join(" ");
    const route = `${e.route.id}  ${e.route.path} -> upstream ${e.route.upstream}`;
    lines.push(["route", params ? `${route}  (${params})` : route]);
  }
  if (e.stage === "authz") {
    // Every rule that applies to this caller here, whatever the outcome: a grant can match and
    // still lose to a deny, a missing scope or the tenant binding (the decision line says which).
    if (e.matching.length === 0) lines.push(["rules", "no rule speaks for this caller here"]);
    e.matching.forEach((rule, i) => lines.push([i === 0 ? "rules" : "", describe(rule)]));
  }
  return lines.map(([label, text]) => `${label.padEnd(9)} ${text}`.trimEnd()).join("\n");
}

const stageNames = {
  path: "path rules",
  route: "routing",
  authn: "authentication",
  authz: "policy",
} as const;

function describe(rule: RuleSummary): string {
  const mode = rule.mode === "report" ? ", report only" : "";
  const text = `${rule.effect} ${rule.id}  (${rule.at}${mode})`;
  return rule.description ? `${text}  ${rule.description}` : text;
}

function describeCaller(request: ExplainRequest): string {
  const caller = request.caller;
  if (caller === null) return "anonymous";
  const list = (items: readonly string[]) => (items.length > 0 ? items.join(",") : "-");
  const tenant = caller.tenant ?? "-";
  const facts = `roles ${list(caller.roles)}  scopes ${list(caller.scopes)}  tenant ${tenant}`;
  return caller.name ? `${caller.name}  ${facts}` : facts;
}
