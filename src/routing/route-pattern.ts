import type { RouteConfig } from "../config/sections/routes.ts";
import { canonicalizePath } from "./canonical-path.ts";

/** One segment of a route path: literal text or a named parameter. */
export type PatternSegment =
  | { readonly kind: "static"; readonly value: string }
  | { readonly kind: "param"; readonly name: string };

/** A route path split into segments, in canonical form. */
export interface RoutePattern {
  readonly segments: readonly PatternSegment[];
  /** Written `/prefix/*`: matches the prefix itself and everything below it. */
  readonly prefix: boolean;
  readonly paramNames: readonly string[];
  readonly staticCount: number;
}

/** One thing wrong with a route, for the config checker. */
export interface RouteProblem {
  readonly field: "path" | "hosts" | "rewrite" | "stripPrefix";
  readonly message: string;
}

const paramName = /^[A-Za-z_][A-Za-z0-9_]*$/;
const hostLabels = /^[a-z0-9_-]+(\.[a-z0-9_-]+)*$/;
const bracketedAddress = /^\[[0-9a-f:.]+\]$/;
// `;` and padded segments are plain text in a route's own path: whether requests may carry
// them is the `paths` section's call, made on each request.
const strictRules = {
  mergeSlashes: false,
  caseSensitive: true,
  allowSemicolons: true,
  allowSegmentPadding: true,
};

/**
 * Parses a route path. A trailing slash is not significant (`/console/` is `/console`), the
 * same rule the matcher applies to request paths; static text is canonicalised like a request
 * path so `/%7Eadmin` and `/~admin` name the same route.
 */
export function parseRoutePattern(path: string): RoutePattern | string {
  let body = path;
  const prefix = body.endsWith("/*");
  if (prefix) body = body.slice(0, -2);
  if (body.endsWith("/")) body = body.slice(0, -1);

  const segments: PatternSegment[] = [];
  const paramNames: string[] = [];
  const parts = body === "" ? [] : body.slice(1).split("/");
  for (const part of parts) {
    if (part === "") return "contains an empty segment (`//`)";
    if (part.startsWith(":")) {
      const name = part.slice(1);
      if (!paramName.test(name)) return `parameter "${part}" must be : and a name`;
      if (paramNames.includes(name)) return `parameter "${name}" is used twice`;
      paramNames.push(name);
      segments.push({ kind: "param", name });
      continue;
    }
    const canonical = canonicalizePath("/" + part, strictRules);
    // A segment cannot hold `/`, so canonicalisation can only drop a dot segment or refuse.
    if (!canonical.ok || canonical.path === "/") {
      return `segment "${part}" is not a plain path segment (dot segment or invalid escape)`;
    }
    segments.push({ kind: "static", value: canonical.path.slice(1) });
  }
  const staticCount = segments.length - paramNames.length;
  return { segments, prefix, paramNames, staticCount };
}

/** Every problem the router would refuse in a route, so `portcullis check` reports them. */
export function routeProblems(route: RouteConfig): RouteProblem[] {
  const problems: RouteProblem[] = [];
  const pattern = parseRoutePattern(route.path);
  if (typeof pattern === "string") problems.push({ field: "path", message: pattern });

  for (const host of route.hosts ?? []) {
    const problem = hostProblem(host);
    if (problem) problems.push({ field: "hosts", message: `"${host}" ${problem}` });
  }
  if (route.rewrite !== undefined && route.stripPrefix !== undefined) {
    problems.push({ field: "rewrite", message: "use either rewrite or stripPrefix, not both" });
  }
  if (route.rewrite !== undefined && typeof pattern !== "string") {
    const problem = rewriteProblem(route.rewrite, pattern);
    if (problem) problems.push({ field: "rewrite", message: problem });
  }
  if (route.stripPrefix !== undefined && route.stripPrefix !== "/") {
    const canonical = canonicalizePath(route.stripPrefix, strictRules);
    if (!canonical.ok || canonical.path !== route.stripPrefix) {
      problems.push({ field: "stripPrefix", message: "must be a canonical path" });
    }
  }
  return problems;
}

/** Exact host names and `*.suffix` wildcards; lower case, no port, no trailing dot. */
export function hostProblem(host: string): string | null {
  if (host === "*") return "matches every host: leave `hosts` out instead";
  const name = host.startsWith("*.") ? host.slice(2) : host;
  if (name !== name.toLowerCase()) return "must be lower case";
  if (hostLabels.test(name) || (name === host && bracketedAddress.test(name))) return null;
  return "must be a host name such as api.example.com or *.example.com, without port";
}

/**
 * A rewrite template is a canonical path in which `:name` stands for a parameter of the
 * route and a final `/*` for what the route's prefix wildcard matched.
 */
function rewriteProblem(template: string, pattern: RoutePattern): string | null {
  for (const match of template.matchAll(/:([A-Za-z_][A-Za-z0-9_]*)/g)) {
    if (!pattern.paramNames.includes(match[1]!)) {
      return `":${match[1]}" is not a parameter of this route's path`;
    }
  }
  const rest = template.endsWith("/*");
  if (rest && !pattern.prefix) return "`/*` needs a prefix route (a path ending in /*)";
  const literal = (rest ? template.slice(0, -2) || "/" : template).replace(/:\w+/g, "p");
  if (literal.includes("*")) return "`*` is allowed only as a final /*";
  const canonical = canonicalizePath(literal, strictRules);
  if (!canonical.ok || canonical.path !== literal || canonical.encoded !== 0) {
    return "must be a canonical path (no dot segments, `//`, or encoded separators)";
  }
  return null;
}

/** Every route's problems with their config location, for the cross-section checker. */
export function routeTableProblems(
  routes: readonly RouteConfig[],
): { segments: (string | number)[]; message: string }[] {
  return routes.flatMap((route, index) =>
    routeProblems(route).map((p) => ({ segments: ["routes", index, p.field], message: p.message })),
  );
}
