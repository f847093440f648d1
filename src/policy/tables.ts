import { methodCount } from "./methods.ts";
import type { PolicyModel, PolicyRule } from "./model.ts";
import type { TenantBinding } from "./tenant-binding.ts";
import { packRows, sparseOf, type MaskRows } from "./sparse-mask.ts";

/** Per-route facts the decision reads besides the cell rows. */
export interface RouteTable {
  readonly id: string;
  /** Anonymous and granted by no rule: passes unless a deny rule matches. */
  readonly open: boolean;
  /** `access.mode: report`: denials are recorded, not enforced. */
  readonly report: boolean;
  /** Scopes every caller must hold, as a sparse set (empty when none). */
  readonly scopes: Uint32Array;
  readonly tenant: TenantBinding | null;
  /** Roles exempt from the tenant binding, as a sparse set. */
  readonly tenantBypass: Uint32Array;
}

/**
 * A policy compiled for one config generation. A cell is `route * methodCount + column`; each
 * row set holds, per cell, the interned role ids the rows speak for. Rule numbers index
 * `model.rules`; -1 means none.
 */
export interface DecisionTables {
  /** Distinguishes this compilation from every other in the process (identity mask cache). */
  readonly generation: number;
  readonly model: PolicyModel;
  /** Role name → id. Scope ids follow the role ids in the same bit space. */
  readonly roleIds: ReadonlyMap<string, number>;
  readonly scopeIds: ReadonlyMap<string, number>;
  readonly roleNames: readonly string[];
  /** Route id → route number (the route's position in the config). */
  readonly routeIndex: ReadonlyMap<string, number>;
  readonly routes: readonly RouteTable[];
  readonly allow: MaskRows;
  readonly deny: MaskRows;
  readonly reportDeny: MaskRows;
  /** Per route (not cell): every role granted on any method; tells "wrong method" apart. */
  readonly routeGrants: MaskRows;
  /** Per cell: the first rule granting every authenticated caller / denying every caller. */
  readonly anyAllowRule: Int32Array;
  readonly denyAllRule: Int32Array;
  readonly reportDenyAllRule: Int32Array;
  /** `cell * stride + roleId` → first rule that decided that role on that cell. */
  readonly allowRuleOf: ReadonlyMap<number, number>;
  readonly denyRuleOf: ReadonlyMap<number, number>;
  readonly reportDenyRuleOf: ReadonlyMap<number, number>;
  readonly stride: number;
  /** Decisions taken with these tables, for `GET /policy/decisions` on the admin listener. */
  readonly counters: DecisionCounters;
}

/**
 * Plain counters the request path bumps: one array slot per outcome and per rule, so counting
 * costs an increment and no allocation. They start at zero with every compilation.
 */
export interface DecisionCounters {
  readonly sinceMs: number;
  /** Decisions computed, by outcome (see outcomes.ts); report-mode denials count here too. */
  readonly outcomes: Float64Array;
  /** Would-be denials in `mode: report` by outcome. */
  readonly shadowOutcomes: Float64Array;
  /** Decisions each rule took, by rule number. */
  readonly rules: Float64Array;
  readonly shadowRules: Float64Array;
}

let generations = 0;

/** Interns every role and scope the policy names and packs the rules into cell rows. */
export function buildTables(model: PolicyModel): DecisionTables {
  const roleIds = internRoles(model);
  const scopeIds = new Map<string, number>();
  for (const route of model.routes) {
    for (const scope of route.scopes) {
      if (!scopeIds.has(scope)) scopeIds.set(scope, roleIds.size + scopeIds.size);
    }
  }

  const cellCount = model.routes.length * methodCount;
  const stride = Math.max(roleIds.size, 1);
  const allow = new RowBuilder(cellCount, stride);
  const deny = new RowBuilder(cellCount, stride);
  const reportDeny = new RowBuilder(cellCount, stride);
  for (const rule of model.rules) {
    const target = rule.effect === "allow" ? allow : rule.mode === "report" ? reportDeny : deny;
    target.add(rule, roleIds);
  }

  const routeGrants: Set<number>[] = model.routes.map(() => new Set());
  allow.sets.forEach((ids, cell) => {
    if (ids) for (const id of ids) routeGrants[Math.floor(cell / methodCount)]!.add(id);
  });

  return {
    generation: ++generations,
    model,
    roleIds,
    scopeIds,
    roleNames: [...roleIds.keys()],
    routeIndex: new Map(model.routes.map((route) => [route.id, route.index])),
    routes: model.routes.map((route) => ({
      id: route.id,
      open: route.open,
      report: route.mode === "report",
      scopes: sparseOf(route.scopes.map((s) => scopeIds.get(s)!)),
      tenant: route.tenant,
      tenantBypass: sparseOf(idsOf(route.tenant?.bypassRoles ?? [], roleIds)),
    })),
    allow: packRows(allow.sets),
    deny: packRows(deny.sets),
    reportDeny: packRows(reportDeny.sets),
    routeGrants: packRows(routeGrants),
    anyAllowRule: allow.everyone,
    denyAllRule: deny.everyone,
    reportDenyAllRule: reportDeny.everyone,
    allowRuleOf: allow.ruleOf,
    denyRuleOf: deny.ruleOf,
    reportDenyRuleOf: reportDeny.ruleOf,
    stride,
    counters: {
      sinceMs: Date.now(),
      outcomes: new Float64Array(16),
      shadowOutcomes: new Float64Array(16),
      rules: new Float64Array(model.rules.length),
      shadowRules: new Float64Array(model.rules.length),
    },
  };
}

/** Declared roles first, in order, then every other role a rule or binding mentions. */
function internRoles(model: PolicyModel): Map<string, number> {
  const ids = new Map<string, number>();
  const add = (role: string) => {
    if (!ids.has(role)) ids.set(role, ids.size);
  };
  model.declaredRoles.forEach(add);
  for (const rule of model.rules) rule.roles?.forEach(add);
  for (const route of model.routes) route.tenant?.bypassRoles.forEach(add);
  return ids;
}

function idsOf(roles: readonly string[], roleIds: ReadonlyMap<string, number>): number[] {
  return roles.map((r) => roleIds.get(r)).filter((id): id is number => id !== undefined);
}

/** Accumulates one row set; the first rule to speak for a (cell, role) is the one named. */
class RowBuilder {
  readonly sets: (Set<number> | undefined)[];
  readonly everyone: Int32Array;
  readonly ruleOf = new Map<number, number>();

  constructor(
    cellCount: number,
    private readonly stride: number,
  ) {
    this.sets = new Array(cellCount);
    this.everyone = new Int32Array(cellCount).fill(-1);
  }

  add(rule: PolicyRule, roleIds: ReadonlyMap<string, number>): void {
    for (const cell of rule.cells) {
      if (rule.roles === null) {
        if (this.everyone[cell] === -1) this.everyone[cell] = rule.index;
        continue;
      }
      const set = (this.sets[cell] ??= new Set());
      for (const id of idsOf(rule.roles, roleIds)) {
        set.add(id);
        const key = cell * this.stride + id;
        if (!this.ruleOf.has(key)) this.ruleOf.set(key, rule.index);
      }
    }
  }
}
