import type { GatewayConfig } from "../config/schema.ts";
import type { RouteConfig } from "../config/sections/routes.ts";
import { columnsOf, methodCount, methodMaskOf } from "./methods.ts";
import { formatPath, type ConfigSegments, type ProblemList } from "./problems.ts";
import { tenantBindingOf, type TenantBinding } from "./tenant-binding.ts";

/** One grant or denial after names were resolved: which roles, which table cells. */
export interface PolicyRule {
  /** Position in `PolicyModel.rules`; also the rule's number in the tables. */
  readonly index: number;
  readonly id: string;
  readonly effect: "allow" | "deny";
  /** Role names; null means every caller (deny) or every authenticated caller (allow). */
  readonly roles: readonly string[] | null;
  readonly mode: "enforce" | "report";
  /** Cells `route * methodCount + column` the rule covers, ascending. */
  readonly cells: readonly number[];
  readonly segments: ConfigSegments;
  readonly description?: string;
}

/** What a route adds to the policy by itself. */
export interface RouteModel {
  readonly index: number;
  readonly id: string;
  readonly config: RouteConfig;
  /** Columns of the methods the route serves. */
  readonly columns: readonly number[];
  /** Anonymous and granted by no rule: anyone may call it unless a deny rule says otherwise. */
  readonly open: boolean;
  readonly mode: "enforce" | "report";
  readonly scopes: readonly string[];
  readonly tenant: TenantBinding | null;
}

export interface PolicyModel {
  readonly rules: readonly PolicyRule[];
  readonly routes: readonly RouteModel[];
  /** Declared roles (`policy.roles`) in declaration order. */
  readonly declaredRoles: readonly string[];
}

interface RuleDraft {
  readonly id: string | undefined;
  readonly fallbackId: string;
  readonly effect: "allow" | "deny";
  readonly roles: readonly string[] | null;
  readonly mode: "enforce" | "report";
  readonly routes: readonly string[];
  readonly groups: readonly string[];
  readonly methods: readonly string[] | undefined;
  readonly segments: ConfigSegments;
  readonly description?: string;
}

/**
 * Resolves the policy's names (routes, groups, methods) into rules over table cells, reporting
 * references that can never match. Deny rules come first so rule numbers follow the order in
 * which a decision consults them.
 */
export function buildPolicyModel(config: GatewayConfig, problems: ProblemList): PolicyModel {
  const routeIndex = new Map(config.routes.map((route, index) => [route.id, index]));
  const drafts = [...denyDrafts(config), ...roleDrafts(config), ...routeDrafts(config)];
  checkGroups(config, routeIndex, problems);

  const rules: PolicyRule[] = [];
  const seenIds = new Map<string, ConfigSegments>();
  for (const draft of drafts) {
    const id = draft.id ?? draft.fallbackId;
    const earlier = seenIds.get(id);
    if (earlier) {
      const at = draft.id === undefined ? draft.segments : [...draft.segments, "id"];
      problems.error(at, `rule id "${id}" is used twice (also ${formatPath(earlier)})`);
      continue;
    }
    seenIds.set(id, draft.segments);
    const cells = resolveCells(draft, config, routeIndex, problems);
    rules.push({
      index: rules.length,
      id,
      effect: draft.effect,
      roles: draft.roles,
      mode: draft.mode,
      cells,
      segments: draft.segments,
      description: draft.description,
    });
  }

  const granted = new Set<number>();
  for (const rule of rules) {
    if (rule.effect === "allow") for (const cell of rule.cells) granted.add(cell);
  }
  const routes = config.routes.map((route, index) =>
    routeModel(route, index, granted, problems),
  );
  return { rules, routes, declaredRoles: Object.keys(config.policy.roles) };
}

function denyDrafts(config: GatewayConfig): RuleDraft[] {
  return config.policy.deny.map((rule, i) => ({
    id: rule.id,
    fallbackId: `deny.${i}`,
    effect: "deny",
    roles: rule.roles ?? null,
    mode: rule.mode,
    routes: rule.routes,
    groups: rule.groups,
    methods: rule.methods,
    segments: ["policy", "deny", i],
    description: rule.description,
  }));
}

function roleDrafts(config: GatewayConfig): RuleDraft[] {
  return Object.entries(config.policy.roles).flatMap(([role, spec]) =>
    spec.allow.map(
      (permission, i): RuleDraft => ({
        id: permission.id,
        fallbackId: `${role}.allow.${i}`,
        effect: "allow",
        roles: [role],
        mode: "enforce",
        routes: permission.routes,
        groups: permission.groups,
        methods: permission.methods,
        segments: ["policy", "roles", role, "allow", i],
      }),
    ),
  );
}

/** `access.roles` and `access.authenticated` are grants written on the route itself. */
function routeDrafts(config: GatewayConfig): RuleDraft[] {
  return config.routes.flatMap((route, i): RuleDraft[] => {
    const access = route.access;
    if (!access) return [];
    const base = { id: undefined, effect: "allow" as const, mode: "enforce" as const };
    const on = { routes: [route.id], groups: [], methods: undefined };
    const drafts: RuleDraft[] = [];
    if (access.roles) {
      const segments = ["routes", i, "access", "roles"];
      const fallbackId = `${route.id}.roles`;
      drafts.push({ ...base, ...on, fallbackId, roles: access.roles, segments });
    }
    if (access.authenticated) {
      const segments = ["routes", i, "access", "authenticated"];
      const fallbackId = `${route.id}.authenticated`;
      drafts.push({ ...base, ...on, fallbackId, roles: null, segments });
    }
    return drafts;
  });
}

function checkGroups(
  config: GatewayConfig,
  routeIndex: Map<string, number>,
  problems: ProblemList,
): void {
  for (const [group, members] of Object.entries(config.policy.groups)) {
    members.forEach((id, i) => {
      if (!routeIndex.has(id)) {
        problems.error(["policy", "groups", group, i], `unknown route "${id}"`);
      }
    });
  }
}

function resolveCells(
  draft: RuleDraft,
  config: GatewayConfig,
  routeIndex: Map<string, number>,
  problems: ProblemList,
): number[] {
  const routes = new Set<number>();
  draft.routes.forEach((id, i) => {
    const index = routeIndex.get(id);
    if (index !== undefined) routes.add(index);
    else problems.error([...draft.segments, "routes", i], `unknown route "${id}"`);
  });
  draft.groups.forEach((group, i) => {
    const members = config.policy.groups[group];
    if (!members) problems.error([...draft.segments, "groups", i], `unknown group "${group}"`);
    else for (const id of members) if (routeIndex.has(id)) routes.add(routeIndex.get(id)!);
  });

  const named = draft.methods === undefined ? -1 : methodMaskOf(draft.methods);
  const cells: number[] = [];
  for (const index of [...routes].sort((a, b) => a - b)) {
    const served = servedMask(config.routes[index]!);
    const unserved = (draft.methods ?? []).filter((m) => (served & methodMaskOf([m])) === 0);
    if (unserved.length > 0) {
      problems.warn(
        [...draft.segments, "methods"],
        `route "${config.routes[index]!.id}" does not serve ${unserved.join(", ")}: ` +
          "that part never matches",
      );
    }
    for (const column of columnsOf(named & served)) cells.push(index * methodCount + column);
  }
  return cells;
}

/** Columns of the methods a route serves; a route without `methods` serves them all. */
function servedMask(route: RouteConfig): number {
  return route.methods === undefined ? (1 << methodCount) - 1 : methodMaskOf(route.methods);
}

function routeModel(
  route: RouteConfig,
  index: number,
  granted: ReadonlySet<number>,
  problems: ProblemList,
): RouteModel {
  const columns = columnsOf(servedMask(route));
  const access = route.access;
  const grantedHere = columns.some((c) => granted.has(index * methodCount + c));
  const restricted = grantedHere || (access?.scopes.length ?? 0) > 0 || !!access?.tenant;
  return {
    index,
    id: route.id,
    config: route,
    columns,
    open: route.auth.anonymous && !restricted,
    mode: access?.mode ?? "enforce",
    scopes: access?.scopes ?? [],
    tenant: tenantBindingOf(route, index, problems),
  };
}
