import type { GatewayConfig } from "../config/schema.ts";
import { internCaller } from "./caller-mask.ts";
import { compilePolicy } from "./compile.ts";
import { decideRequest, shadowDenial } from "./decide.ts";
import { policyMethods } from "./methods.ts";
import { describeRule, isAllowed, Outcome, outcomeOf, ruleOf } from "./outcomes.ts";
import type { DecisionTables } from "./tables.ts";

/** Marks for the two rows that are not roles. */
export const anyAuthenticatedRow = "(authenticated)";
export const anonymousRow = "(anonymous)";

/** What one role (or any authenticated caller, or an anonymous one) may do on one route. */
export interface MatrixRow {
  readonly subject: string;
  readonly route: string;
  readonly path: string;
  /** Methods this subject reaches on the route. */
  readonly methods: readonly string[];
  /** Methods an explicit deny rule takes away from this subject, with the rule id. */
  readonly denied: readonly { method: string; ruleId: string }[];
  /** Conditions on top of the grant: required scopes, tenant binding, shadow mode. */
  readonly notes: readonly string[];
}

/**
 * For every role, every route and method it reaches, decided by the compiled tables as a
 * caller holding just that role (plus the route's required scopes, and its own tenant) would be.
 * Routes a subject neither reaches nor is explicitly denied are left out; grants that do not
 * depend on a role appear only on the anonymous or authenticated row.
 */
export function policyMatrix(config: GatewayConfig): MatrixRow[] {
  const { tables } = compilePolicy(config);
  const subjects: (string | null)[] = [...tables.roleNames, anyAuthenticatedRow, null];
  const rows: MatrixRow[] = [];
  for (const subject of subjects) {
    tables.routes.forEach((_, index) => {
      const row = rowFor(tables, config, subject, index);
      if (row.methods.length > 0 || row.denied.length > 0) rows.push(row);
    });
  }
  return rows;
}

function rowFor(
  tables: DecisionTables,
  config: GatewayConfig,
  subject: string | null,
  index: number,
): MatrixRow {
  const route = tables.model.routes[index]!;
  const roles = subject === null || subject === anyAuthenticatedRow ? [] : [subject];
  const mask = subject === null ? null : internCaller(tables, roles, route.scopes);
  const methods: string[] = [];
  const denied: { method: string; ruleId: string }[] = [];

  const shadowed: { method: string; ruleId: string }[] = [];
  for (const column of route.columns) {
    const packed = decideRequest(tables, index, column, mask, "tenant", "tenant");
    const method = policyMethods[column]!;
    if (isAllowed(packed)) {
      // Open routes and grants to every authenticated caller are listed once, on their own
      // rows, rather than under every role.
      const rule = ruleOf(packed);
      if (route.open && subject !== null) continue;
      const general = rule >= 0 && tables.model.rules[rule]!.roles === null;
      if (general && subject !== null && subject !== anyAuthenticatedRow) continue;
      methods.push(method);
      const shadow = shadowDenial(tables, index, column, mask, packed);
      if (shadow >= 0) shadowed.push({ method, ruleId: describeRule(tables, index, shadow) });
    } else if (outcomeOf(packed) === Outcome.deniedByRule) {
      // A rule that denies everyone is listed on the anonymous row only, not on every role.
      const rule = tables.model.rules[ruleOf(packed)]!;
      if (rule.roles !== null || subject === null) {
        denied.push({ method, ruleId: rule.id });
      }
    }
  }

  const notes: string[] = [];
  if (methods.length > 0 && route.scopes.length > 0) notes.push(`scopes ${route.scopes.join(" ")}`);
  if (methods.length > 0 && route.tenant) {
    const where = route.tenant.source === "param" ? `:${route.tenant.name}` : route.tenant.name;
    const bypass = subject !== null && route.tenant.bypassRoles.includes(subject);
    notes.push(bypass ? `any tenant (bypasses ${where})` : `tenant = ${where}`);
  }
  if (route.mode === "report") notes.push("report mode");
  for (const [rule, list] of groupByRule(shadowed)) {
    notes.push(`report: would deny ${list} by ${rule}`);
  }
  const path = config.routes[index]!.path;
  return { subject: subject ?? anonymousRow, route: route.id, path, methods, denied, notes };
}

/** The matrix as an aligned text table. */
export function formatMatrix(rows: readonly MatrixRow[]): string {
  const table = [["SUBJECT", "ROUTE", "PATH", "METHODS", "NOTES"]];
  for (const row of rows) {
    const notes = [...row.notes];
    for (const [rule, list] of groupByRule(row.denied)) notes.push(`denied ${list} by ${rule}`);
    const methods = row.methods.length > 0 ? row.methods.join(" ") : "-";
    table.push([row.subject, row.route, row.path, methods, notes.join("; ")]);
  }
  const widths = table[0]!.map((_, c) => Math.max(...table.map((r) => r[c]!.length)));
  return table
    .map((r) => r.map((cell, c) => (c === r.length - 1 ? cell : cell.padEnd(widths[c]!))))
    .map((cells) => cells.join("  "))
    .map((line) => line.trimEnd())
    .join("\n");
}

/** Rule id → its methods as one space-separated string, in first-seen order. */
function groupByRule(entries: readonly { method: string; ruleId: string }[]) {
  const byRule = new Map<string, string>();
  for (const e of entries) {
    const before = byRule.get(e.ruleId);
    byRule.set(e.ruleId, before === undefined ? e.method : `${before} ${e.method}`);
  }
  return byRule;
}
