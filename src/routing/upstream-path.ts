import type { RouteConfig } from "../config/sections/routes.ts";
import { parseRoutePattern, type RoutePattern } from "./route-pattern.ts";

type Params = Readonly<Record<string, string>> | null;

/** Computes the path sent upstream from the canonical path and the route's parameters. */
export type UpstreamPathFn = (path: string, params: Params) => string;

const identity: UpstreamPathFn = (path) => path;
const compiled = new WeakMap<RouteConfig, UpstreamPathFn>();

/**
 * The path forwarded for a route: the canonical path itself, with `stripPrefix` removed, or
 * `rewrite` filled in. Everything derives from the canonical string, so the upstream sees the
 * path that routing and the checks saw, minus what the route says to drop.
 */
export function upstreamPathFor(route: RouteConfig, path: string, params: Params): string {
  if (route.stripPrefix === undefined && route.rewrite === undefined) return path;
  let fn = compiled.get(route);
  if (fn === undefined) compiled.set(route, (fn = createUpstreamPath(route)));
  return fn(path, params);
}

/** Builds the per-request function once per route; config problems were reported at load. */
export function createUpstreamPath(route: RouteConfig): UpstreamPathFn {
  if (route.rewrite !== undefined) {
    const pattern = parseRoutePattern(route.path);
    if (typeof pattern === "string") throw new TypeError(`route ${route.id}: ${pattern}`);
    return createRewrite(route.rewrite, pattern);
  }
  if (route.stripPrefix !== undefined && route.stripPrefix !== "/") {
    return createStripPrefix(route.stripPrefix);
  }
  return identity;
}

/**
 * Removes a prefix on a segment boundary: `/api` strips `/api` and `/api/x` but leaves
 * `/apix` alone. The comparison ignores letter case so that it agrees with routing when
 * `paths.caseSensitive` is off.
 */
function createStripPrefix(prefix: string): UpstreamPathFn {
  const lower = prefix.toLowerCase();
  const length = prefix.length;
  return (path) => {
    if (path.length < length) return path;
    if (!path.startsWith(prefix) && path.slice(0, length).toLowerCase() !== lower) return path;
    if (path.length === length) return "/";
    return path.charCodeAt(length) === 0x2f ? path.slice(length) : path;
  };
}

type TemplatePart = string | { readonly param: string };

/**
 * `:name` takes the parameter's canonical text (still encoded where the request was, so a
 * parameter cannot add a separator); a final `/*` takes what the route's prefix matched.
 */
function createRewrite(template: string, pattern: RoutePattern): UpstreamPathFn {
  const rest = template.endsWith("/*");
  const body = rest ? template.slice(0, -2) : template;
  const parts: TemplatePart[] = body
    .split(/(:[A-Za-z_][A-Za-z0-9_]*)/)
    .filter((part) => part !== "")
    .map((part) => (part.startsWith(":") ? { param: part.slice(1) } : part));
  const fixedSegments = pattern.segments.length;

  return (path, params) => {
    let out = "";
    for (const part of parts) out += typeof part === "string" ? part : params?.[part.param];
    if (rest) out += remainderAfter(path, fixedSegments);
    return out === "" ? "/" : out;
  };
}

/** The part of `path` after its first `count` segments, with its leading `/`, or `""`. */
function remainderAfter(path: string, count: number): string {
  let at = 0;
  for (let i = 0; i < count; i++) {
    at = path.indexOf("/", at + 1);
    if (at === -1) return "";
  }
  return path.slice(at);
}
