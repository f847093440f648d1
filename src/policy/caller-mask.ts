import type { Identity } from "../identity/identity.ts";
import { sparseOf } from "./sparse-mask.ts";
import type { DecisionTables } from "./tables.ts";

/**
 * The caller's roles and scopes as a sparse bit set over the ids of one compiled policy. Names
 * the policy never mentions are dropped: they can neither grant nor deny anything.
 */
export function internCaller(
  tables: DecisionTables,
  roles: readonly string[],
  scopes: readonly string[],
): Uint32Array {
  const ids: number[] = [];
  for (const role of roles) {
    const id = tables.roleIds.get(role);
    if (id !== undefined) ids.push(id);
  }
  for (const scope of scopes) {
    const id = tables.scopeIds.get(scope);
    if (id !== undefined) ids.push(id);
  }
  return sparseOf(ids);
}

/**
 * The identity's mask for these tables, interned on first use and cached on the identity, so a
 * cached identity pays the string lookups once per config generation rather than per request.
 */
export function callerMaskOf(tables: DecisionTables, identity: Identity): Uint32Array {
  const cached = identity.roleMask;
  if (cached !== undefined && cached.generation === tables.generation) return cached.mask;
  const mask = internCaller(tables, identity.roles, identity.scopes);
  identity.roleMask = { generation: tables.generation, mask };
  return mask;
}
