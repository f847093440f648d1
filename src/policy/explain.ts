import type { GatewayConfig } from "../config/schema.ts";
import { errorCodes, type ErrorCode } from "../errors.ts";
import { canonicalizePath } from "../routing/canonical-path.ts";
import { encodedMaskOf } from "../routing/encoded.ts";
import { createRouter, type Router } from "../routing/router.ts";
import { internCaller } from "./caller-mask.ts";
import { compilePolicy } from "./compile.ts";
import { decideRequest, shadowDenial } from "./decide.ts";
import { methodCount, methodIndexOf } from "./methods.ts";
import type { PolicyRule } from "./model.ts";
import type { CallerSpec } from "./named-callers.ts";
import { formatPath } from "./problems.ts";
import { describeRule, isAllowed, Outcome, outcomeOf, outcomeReasons } from "./outcomes.ts";
import { publicCodeOf, reportOnlyReason, ruleOf } from "./outcomes.ts";

export interface ExplainRequest {
  readonly method: string;
  /** Request target as a client would send it; a query string is ignored for routing. */
  readonly target: string;
  readonly host?: string;
  /** Null explains an anonymous request. */
  readonly caller: CallerSpec | null;
  /** Request headers that matter to a header tenant binding. */
  readonly headers?: Readonly<Record<string, string>>;
}

export interface RuleSummary {
  readonly id: string;
  readonly effect: "allow" | "deny";
  readonly mode: "enforce" | "report";
  /** Config path of the rule, e.g. `policy.deny[0]`. */
  readonly at: string;
  readonly description?: string;
}

export interface Explanation {
  readonly decision: "allow" | "deny";
  readonly status: number;
  /** Public problem code for a denial; null when allowed. */
  readonly code: ErrorCode | null;
  readonly reason: string;
  readonly ruleId: string | null;
  /** The stage that decided: path rules, routing, authentication or authorization. */
  readonly stage: "path" | "route" | "authn" | "authz";
  readonly canonicalPath: string | null;
  readonly route: { id: string; path: string; upstream: string } | null;
  readonly params: Readonly<Record<string, string>>;
  /** Configured rule behind the decision, when one decided. */
  readonly rule: RuleSummary | null;
  /** A denial computed in `mode: report` and not enforced. */
  readonly shadow: { reason: string; ruleId: string } | null;
  /** Every rule on this route and method that speaks for this caller, in decision order. */
  readonly matching: readonly RuleSummary[];
}

/**
 * Explains what the gateway would do with one request from one caller, through the same
 * canonical path, router and decision tables the request path uses. Authentication is assumed
 * to have succeeded for a named caller.
 */
export function explainRequest(config: GatewayConfig, request: ExplainRequest): Explanation {
  const base = { canonicalPath: null, route: null, params: {}, rule: null, shadow: null };
  const refused = (stage: Explanation["stage"], code: ErrorCode, extra = {}): Explanation => ({
    ...base,
    decision: "deny",
    status: errorCodes[code].status,
    code,
    reason: code,
    ruleId: null,
    stage,
    matching: [],
    ...extra,
  });

  const rawPath = pathAsServed(request.target);
  if (rawPath === null) return refused("path", "request.malformed");
  const canonical = canonicalizePath(rawPath, config.paths);
  if (!canonical.ok) return refused("path", canonical.code);
  const canonicalPath = canonical.path;
  const router = routerFor(config);
  const host = (request.host ?? "").toLowerCase();
  const match = router.match(request.method, host, canonicalPath, canonical.mergedAt);
  if ("miss" in match) return refused("route", match.miss as ErrorCode, { canonicalPath });

  const routeConfig = config.routes[match.index]!;
  const route = { id: routeConfig.id, path: routeConfig.path, upstream: routeConfig.upstream };
  const found = { canonicalPath, route, params: match.params ?? {} };
  if ((canonical.encoded & ~encodedMaskOf(routeConfig.allowEncoded)) !== 0) {
    return refused("path", "path.encoded_separator", found);
  }
  if (request.caller === null && !routeConfig.auth.anonymous) {
    return refused("authn", "authn.missing", found);
  }
  return { ...found, ...decide(config, match.index, request, found.params) };
}

/**
 * The path part of a request target as the gateway's handler receives it: Bun.serve parses the
 * target with the WHATWG URL rules (dot segments resolved, `\` read as `/`) before any of our
 * code runs, so explain does the same and then follows the request path step by step.
 */
function pathAsServed(target: string): string | null {
  if (!target.startsWith("/")) return null;
  let href: string;
  try {
    href = new URL(`http://explain.invalid${target}`).href;
  } catch {
    return null;
  }
  const path = href.slice("http://explain.invalid".length);
  const end = path.search(/[?#]/);
  return end < 0 ? path : path.slice(0, end);
}

const routers = new WeakMap<GatewayConfig, Router>();

/** One router per config: a policy test table explains many requests against one config. */
function routerFor(config: GatewayConfig): Router {
  let router = routers.get(config);
  if (!router) {
    router = createRouter(config.routes, config.paths);
    routers.set(config, router);
  }
  return router;
}

function decide(
  config: GatewayConfig,
  index: number,
  request: ExplainRequest,
  params: Readonly<Record<string, string>>,
) {
  const { tables } = compilePolicy(config);
  const caller = request.caller;
  const mask = caller === null ? null : internCaller(tables, caller.roles, caller.scopes);
  const column = methodIndexOf(request.method);
  const binding = tables.routes[index]!.tenant;
  const presented =
    binding === null
      ? undefined
      : binding.source === "param"
        ? params[binding.name]
        : headerValue(request.headers, binding.name);

  const enforced = decideRequest(tables, index, column, mask, caller?.tenant ?? null, presented);
  const shadowed = shadowDenial(tables, index, column, mask, enforced);
  const outcome = outcomeOf(enforced);
  const enforcedAllow = isAllowed(enforced);
  const allowed = enforcedAllow || shadowed >= 0;
  const code = allowed ? null : publicCodeOf(outcome);
  const rule = ruleOf(enforced);
  return {
    decision: allowed ? ("allow" as const) : ("deny" as const),
    status: code ? errorCodes[code].status : 200,
    code,
    reason: enforcedAllow || !allowed ? outcomeReasons[outcome]! : reportOnlyReason,
    ruleId: outcome === Outcome.allowedOpen ? null : describeRule(tables, index, enforced),
    stage: "authz" as const,
    rule: rule < 0 ? null : summarize(tables.model.rules[rule]!),
    shadow:
      shadowed < 0
        ? null
        : {
            reason: outcomeReasons[outcomeOf(shadowed)]!,
            ruleId: describeRule(tables, index, shadowed),
          },
    matching: matchingRules(tables.model.rules, index * methodCount + column, caller, column),
  };
}

function headerValue(headers: Readonly<Record<string, string>> | undefined, name: string) {
  if (!headers) return null;
  for (const key in headers) if (key.toLowerCase() === name) return headers[key]!;
  return null;
}

function matchingRules(
  rules: readonly PolicyRule[],
  cell: number,
  caller: CallerSpec | null,
  column: number,
): RuleSummary[] {
  if (column < 0) return [];
  return rules
    .filter((rule) => rule.cells.includes(cell))
    .filter((rule) =>
      rule.roles === null
        ? rule.effect === "deny" || caller !== null
        : caller !== null && rule.roles.some((r) => caller.roles.includes(r)),
    )
    .map(summarize);
}

export function summarize(rule: PolicyRule): RuleSummary {
  return {
    id: rule.id,
    effect: rule.effect,
    mode: rule.mode,
    at: formatPath(rule.segments),
    ...(rule.description ? { description: rule.description } : {}),
  };
}
