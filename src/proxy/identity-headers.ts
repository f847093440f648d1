import type { IdentityConfig, RouteAuthConfig } from "../config/sections/identity.ts";
import type { RouteConfig } from "../config/sections/routes.ts";
import type { Identity } from "../identity/identity.ts";
import type { TokenMinter } from "../identity/token-minter.ts";
import type { RequestContext } from "../server/context.ts";

/** Headers only the gateway may set; any client copy is deleted on every route. */
const gatewayOwnedHeaders = ["x-user-id", "x-user-roles", "x-tenant-id", "x-user-email"];
const ownedPrefix = "x-portcullis-";

type IdentityField = "subject" | "roles" | "tenant" | "email" | "scopes";

/** What one route does to upstream headers, worked out once per route config. */
interface HeaderPlan {
  readonly owned: readonly string[];
  readonly credentials: readonly string[];
  readonly mapping: ReadonlyArray<readonly [IdentityField, string]>;
  readonly upstreamToken: RouteAuthConfig["upstreamToken"];
}

const plans = new WeakMap<RouteConfig, HeaderPlan>();
let forwardedCertHeaders: readonly string[] = ["x-forwarded-client-cert"];
let currentMinter: (() => TokenMinter) | null = null;

/** Called by the identity service at start and on reload. */
export function configureIdentityHeaders(identity: IdentityConfig, minter?: () => TokenMinter) {
  const configured = identity.clientCert.forwarded?.header;
  forwardedCertHeaders = [
    ...new Set(["x-forwarded-client-cert", ...(configured ? [configured] : [])]),
  ];
  if (minter) currentMinter = minter;
}

/**
 * Deletes client copies of gateway-owned headers (every letter case: `Headers` names are
 * case-insensitive, and Bun joins duplicates into one value) and sets them from the caller's
 * identity. Removes the caller's credential unless the route forwards credentials, and attaches
 * a freshly minted audience-bound token when the route asks for one.
 */
export function applyIdentityHeaders(ctx: RequestContext, headers: Headers): void {
  const plan = ctx.route ? planFor(ctx.route.config) : defaultPlan;
  for (const name of plan.owned) headers.delete(name);
  deletePrefixed(headers);
  for (const name of plan.credentials) headers.delete(name);

  const identity = ctx.identity;
  if (!identity) return;
  for (const [field, name] of plan.mapping) {
    const value = valueOf(identity, field);
    if (value !== null) headers.set(name, value);
  }

  const wanted = plan.upstreamToken;
  if (wanted && currentMinter) {
    const token = currentMinter().forUpstream(identity, wanted.audience, wanted.ttlSec, Date.now());
    headers.set(wanted.header, wanted.header === "authorization" ? `Bearer ${token}` : token);
  }
}

function deletePrefixed(headers: Headers): void {
  let found: string[] | null = null;
  for (const name of headers.keys()) {
    if (name.startsWith(ownedPrefix)) (found ??= []).push(name);
  }
  if (found) for (const name of found) headers.delete(name);
}

function planFor(route: RouteConfig): HeaderPlan {
  let plan = plans.get(route);
  if (!plan) plans.set(route, (plan = buildPlan(route.auth)));
  return plan;
}

function buildPlan(auth: RouteAuthConfig): HeaderPlan {
  const mapping = (Object.entries(auth.identityHeaders) as [IdentityField, string | null][]).filter(
    (entry): entry is [IdentityField, string] => entry[1] !== null,
  );
  const authenticates = auth.apiKey !== false || auth.jwt.length > 0 || auth.clientCert;
  const credentials: string[] = [];
  if (authenticates && !auth.forwardCredentials) {
    credentials.push("authorization");
    if (auth.apiKey !== false)
      credentials.push(auth.apiKey === true ? "x-api-key" : auth.apiKey.header);
  }
  const owned = new Set([
    ...gatewayOwnedHeaders,
    ...mapping.map(([, name]) => name),
    ...forwardedCertHeaders,
  ]);
  // A client copy of the minted-token header must not survive when no identity replaces it.
  const tokenHeader = auth.upstreamToken?.header;
  if (tokenHeader && tokenHeader !== "authorization") owned.add(tokenHeader);
  return { owned: [...owned], credentials, mapping, upstreamToken: auth.upstreamToken };
}

const defaultPlan: HeaderPlan = {
  owned: [...gatewayOwnedHeaders, "x-forwarded-client-cert"],
  credentials: [],
  mapping: [],
  upstreamToken: undefined,
};

/**
 * A header value derived from identity, or null when it cannot be sent safely. Anything outside
 * printable ASCII (CR, LF, NUL, other controls, non-ASCII) drops the value instead of being
 * escaped, so a claim can never add a header line or a second request (CVE-2023-27493 class).
 */
function valueOf(identity: Identity, field: IdentityField): string | null {
  switch (field) {
    case "subject":
      return safe(identity.subject);
    case "tenant":
      return identity.tenant === null ? null : safe(identity.tenant);
    case "email":
      return identity.email ? safe(identity.email) : null;
    case "roles":
      return joined(identity.roles, ",");
    case "scopes":
      return joined(identity.scopes, " ");
  }
}

const printable = /^[\x21-\x7e](?:[\x20-\x7e]*[\x21-\x7e])?$/;

function safe(value: string): string | null {
  return printable.test(value) ? value : null;
}

/** Members that are unsafe or contain the separator are left out rather than split wrongly. */
function joined(values: readonly string[], separator: string): string | null {
  const kept = values.filter((v) => safe(v) !== null && !v.includes(separator) && !v.includes(" "));
  return kept.length > 0 ? kept.join(separator) : null;
}
