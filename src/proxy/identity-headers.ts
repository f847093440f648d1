import type { RequestContext } from "../server/context.ts";

/** Headers only the gateway may set; any client copy is deleted on every route. */
const gatewayOwnedHeaders = ["x-user-id", "x-user-roles", "x-tenant-id", "x-user-email"];

/**
 * Deletes client copies of gateway-owned headers and sets them from the caller's identity.
 * `Headers.delete` is case-insensitive, so every letter case of a client copy goes.
 */
export function applyIdentityHeaders(ctx: RequestContext, headers: Headers): void {
  for (const name of gatewayOwnedHeaders) headers.delete(name);
  const identity = ctx.identity;
  if (!identity) return;
  headers.set("x-user-id", identity.subject);
  if (identity.roles.length > 0) headers.set("x-user-roles", identity.roles.join(","));
  if (identity.tenant) headers.set("x-tenant-id", identity.tenant);
}
