import type { GatewayConfig } from "./schema.ts";
import { identityReferenceProblems } from "../identity/config-references.ts";
import { routeTableProblems } from "../routing/route-pattern.ts";

/** A problem that spans several parts of the config (references, duplicates). */
export interface CrossProblem {
  readonly segments: readonly (string | number)[];
  readonly path: string;
  readonly message: string;
}

/** Checks what a schema cannot: references between sections and unique ids. */
export function crossCheckConfig(config: GatewayConfig): CrossProblem[] {
  const problems = routeReferenceProblems(config.routes, Object.keys(config.upstreams));
  for (const p of identityReferenceProblems(config)) problems.push(at(p.segments, p.message));
  for (const p of routeTableProblems(config.routes)) problems.push(at(p.segments, p.message));
  problems.push(...duplicateLimitIds(config));
  return problems;
}

/**
 * Limit ids name counters in audit records, headers and gossip; two limits with one id on the
 * same route would be indistinguishable there.
 */
function duplicateLimitIds(config: GatewayConfig): CrossProblem[] {
  const problems: CrossProblem[] = [];
  config.routes.forEach((route, routeIndex) => {
    const seen = new Set<string>();
    (route.limits ?? []).forEach((limit, limitIndex) => {
      const id = (limit as { id?: string }).id;
      if (id === undefined) return;
      if (seen.has(id)) {
        const segments = ["routes", routeIndex, "limits", limitIndex, "id"];
        problems.push(at(segments, `duplicate limit id "${id}"`));
      }
      seen.add(id);
    });
  });
  return problems;
}

/**
 * Duplicate route ids and routes naming an unknown upstream. Needs only ids and upstream
 * names, so it also runs on a config that failed its schema and is reported alongside.
 */
export function routeReferenceProblems(
  routes: readonly { id: string; upstream: string }[],
  upstreamNames: readonly string[],
): CrossProblem[] {
  const problems: CrossProblem[] = [];
  const known = new Set(upstreamNames);
  const seenRouteIds = new Map<string, number>();
  routes.forEach((route, index) => {
    const earlier = seenRouteIds.get(route.id);
    if (earlier !== undefined) {
      problems.push(at(["routes", index, "id"], `duplicate route id (also routes[${earlier}])`));
    }
    seenRouteIds.set(route.id, index);
    if (!known.has(route.upstream)) {
      problems.push(at(["routes", index, "upstream"], `unknown upstream "${route.upstream}"`));
    }
  });
  return problems;
}

function at(segments: (string | number)[], message: string): CrossProblem {
  const path = segments
    .map((s, i) => (typeof s === "number" ? `[${s}]` : i === 0 ? s : `.${s}`))
    .join("");
  return { segments, path, message };
}
