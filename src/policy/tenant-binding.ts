import type { RouteConfig } from "../config/sections/routes.ts";
import type { ProblemList } from "./problems.ts";

/** Which request value must equal the caller's tenant on a route. */
export interface TenantBinding {
  readonly source: "param" | "header";
  /** Parameter name, or header name in lower case. */
  readonly name: string;
  readonly bypassRoles: readonly string[];
  /** Rule id written to audit records when the binding decides. */
  readonly ruleId: string;
}

/** Headers the gateway deletes and sets itself: a client's value never reaches the upstream. */
const gatewayOwnedHeaders = ["x-user-id", "x-user-roles", "x-tenant-id", "x-user-email"];

function ownedBy(route: RouteConfig): Set<string> {
  const mapped = Object.values(route.auth.identityHeaders).filter((h): h is string => !!h);
  return new Set([...gatewayOwnedHeaders, ...mapped]);
}

/**
 * The route's tenant binding, checked: a parameter the path really has, or a header the client
 * controls (binding one the gateway overwrites would compare against a value nobody sent).
 */
export function tenantBindingOf(
  route: RouteConfig,
  index: number,
  problems: ProblemList,
): TenantBinding | null {
  const spec = route.access?.tenant;
  if (!spec) return null;
  const segments = ["routes", index, "access", "tenant"];
  const ruleId = `${route.id}.tenant`;
  if ("param" in spec) {
    const params = [...route.path.matchAll(/\/:([A-Za-z_][A-Za-z0-9_]*)/g)].map((m) => m[1]);
    if (!params.includes(spec.param)) {
      const message = `path "${route.path}" has no parameter :${spec.param}`;
      problems.error([...segments, "param"], message);
    }
    return { source: "param", name: spec.param, bypassRoles: spec.bypassRoles, ruleId } as const;
  }
  const name = spec.header.toLowerCase();
  if (ownedBy(route).has(name) || name.startsWith("x-portcullis-")) {
    problems.error([...segments, "header"], `${name} is set by the gateway; bind another header`);
  }
  return { source: "header", name, bypassRoles: spec.bypassRoles, ruleId } as const;
}
