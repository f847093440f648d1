import type { GatewayConfig } from "../config/schema.ts";
import { methodCount, policyMethods } from "./methods.ts";
import type { PolicyModel, PolicyRule } from "./model.ts";
import type { ProblemList } from "./problems.ts";

/** Who a cell's enforced rules speak for: role names, or everyone. */
interface CellRules {
  denyAll: PolicyRule | null;
  denied: Map<string, PolicyRule>;
  anyAllow: boolean;
  granted: Set<string>;
}

/**
 * Static analysis that `portcullis check` prints as warnings: rules that never match, rules
 * shadowed by an earlier deny, roles granted nowhere, routes no caller can reach.
 */
export function analyzePolicy(config: GatewayConfig, model: PolicyModel, problems: ProblemList) {
  const cells = new Map<number, CellRules>();
  const cellOf = (cell: number) => {
    let rules = cells.get(cell);
    if (!rules) {
      rules = { denyAll: null, denied: new Map(), anyAllow: false, granted: new Set() };
      cells.set(cell, rules);
    }
    return rules;
  };

  for (const rule of model.rules) {
    if (rule.cells.length === 0) {
      const message = `rule "${rule.id}" covers no route and method: it never matches`;
      problems.warn(rule.segments, message);
      continue;
    }
    if (rule.mode === "report") continue;
    if (rule.effect === "deny") reportShadowedDeny(rule, rule.cells.map(cellOf), problems);
    else reportShadowedAllow(rule, rule.cells.map(cellOf), problems);
  }

  reportUngrantedRoles(config, model, problems);
  reportUnreachableRoutes(model, cells, problems);
}

function reportShadowedDeny(rule: PolicyRule, cells: CellRules[], problems: ProblemList) {
  const earlier = new Set<PolicyRule>();
  const covered = cells.every((cell) => {
    if (cell.denyAll) return earlier.add(cell.denyAll);
    if (rule.roles === null) return false;
    return rule.roles.every((role) => {
      const by = cell.denied.get(role);
      return by ? earlier.add(by) : false;
    });
  });
  if (covered) {
    const names = [...earlier].map((r) => `"${r.id}"`).join(", ");
    problems.warn(rule.segments, `deny rule "${rule.id}" is shadowed by earlier ${names}`);
  }
  for (const cell of cells) {
    if (rule.roles === null) cell.denyAll ??= rule;
    else for (const role of rule.roles) if (!cell.denied.has(role)) cell.denied.set(role, rule);
  }
}

function reportShadowedAllow(rule: PolicyRule, cells: CellRules[], problems: ProblemList) {
  const by = new Set<PolicyRule>();
  const shadowed = cells.every((cell) => {
    if (cell.denyAll) return by.add(cell.denyAll);
    if (rule.roles === null) return false;
    return rule.roles.every((role) => {
      const deny = cell.denied.get(role);
      return deny ? by.add(deny) : false;
    });
  });
  if (shadowed) {
    const names = [...by].map((r) => `"${r.id}"`).join(", ");
    const message = `rule "${rule.id}" is shadowed by deny ${names}: it grants nothing`;
    problems.warn(rule.segments, message);
  }
  for (const cell of cells) {
    if (rule.roles === null) cell.anyAllow = true;
    else for (const role of rule.roles) cell.granted.add(role);
  }
}

function reportUngrantedRoles(config: GatewayConfig, model: PolicyModel, problems: ProblemList) {
  const granted = new Set<string>();
  for (const rule of model.rules) {
    if (rule.effect !== "allow" || rule.cells.length === 0) continue;
    rule.roles?.forEach((r) => granted.add(r));
  }
  for (const role of model.declaredRoles) {
    if (!granted.has(role)) {
      problems.warn(["policy", "roles", role], `role "${role}" is granted nowhere`);
    }
  }
  for (const [name, identity] of Object.entries(config.policy.identities)) {
    identity.roles.forEach((role, i) => {
      if (granted.has(role)) return;
      const segments = ["policy", "identities", name, "roles", i];
      problems.warn(segments, `role "${role}" is granted nowhere`);
    });
  }
}

function reportUnreachableRoutes(
  model: PolicyModel,
  cells: ReadonlyMap<number, CellRules>,
  problems: ProblemList,
) {
  for (const route of model.routes) {
    const segments = ["routes", route.index];
    if (route.open) continue;
    if (route.config.auth.anonymous) {
      problems.warn(
        [...segments, "auth", "anonymous"],
        `route "${route.id}" is anonymous but restricted by policy: callers without ` +
          "credentials are refused",
      );
    }

    const unreachable = route.columns.filter((column) => {
      const cell = cells.get(route.index * methodCount + column);
      if (!cell || cell.denyAll) return true;
      if (cell.anyAllow) return false;
      return [...cell.granted].every((role) => cell.denied.has(role));
    });
    if (unreachable.length === route.columns.length) {
      const message = `route "${route.id}" is reachable by no role: every caller is denied`;
      problems.warn(segments, message);
    } else if (unreachable.length > 0 && route.config.methods) {
      const names = unreachable.map((c) => policyMethods[c]).join(", ");
      problems.warn(segments, `route "${route.id}": no role may use ${names}`);
    }
  }
}
