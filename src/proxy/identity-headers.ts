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
  /** Client fields the pooled client's head writer leaves out (owned and credentials). */
  readonly skip: ReadonlySet<string>;
  /** The same plus the minted-token field, for requests that get a token. */
  readonly skipWithToken: ReadonlySet<string>;
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

/**
 * The same rules for the pooled client, which writes the upstream head itself instead of
 * editing the client's Headers (deleting fields from a Headers object costs a native call
 * each). `identitySkip` names the client fields to leave out (the `x-portcullis-` prefix is
 * left out by `isDroppedRequestField`); `identityLines` gives the gateway's own fields as
 * `name: value\r\n` lines.
 */
export function identitySkip(ctx: RequestContext): ReadonlySet<string> {
  const plan = ctx.route ? planFor(ctx.route.config) : defaultPlan;
  return ctx.identity && plan.upstreamToken && currentMinter ? plan.skipWithToken : plan.skip;
}

const identityLineCache = new WeakMap<Identity, { plan: HeaderPlan; lines: string }>();

export function identityLines(ctx: RequestContext): string {
  const identity = ctx.identity;
  if (!identity) return "";
  const plan = ctx.route ? planFor(ctx.route.config) : defaultPlan;
  // Identities are cached by the credential checks, so their lines are worked out once.
  const cached = identityLineCache.get(identity);
  let lines: string;
  if (cached !== undefined && cached.plan === plan) lines = cached.lines;
  else {
    lines = "";
    for (const [field, name] of plan.mapping) {
      const value = valueOf(identity, field);
      if (value !== null) lines += `${name.toLowerCase()}: ${value}\r\n`;
    }
    identityLineCache.set(identity, { plan, lines });
  }
  const wanted = plan.upstreamToken;
  if (wanted && currentMinter) {
    const token = currentMinter().forUpstream(identity, wanted.audience, wanted.ttlSec, Date.now());
    const value = wanted.header === "authorization" ? `Bearer ${token}` : token;
    lines += `${wanted.header.toLowerCase()}: ${value}\r\n`;
  }
  return lines;
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
  const skip = new Set([...owned, ...credentials].map((name) => name.toLowerCase()));
  const skipWithToken = new Set(skip);
  if (tokenHeader) skipWithToken.add(tokenHeader.toLowerCase());
  return {
    owned: [...owned],
    skip,
    skipWithToken,
    credentials,
    mapping,
    upstreamToken: auth.upstreamToken,
  };
}

const defaultOwned = [...gatewayOwnedHeaders, "x-forwarded-client-cert"];
const defaultPlan: HeaderPlan = {
  owned: defaultOwned,
  skip: new Set(defaultOwned),
  skipWithToken: new Set(defaultOwned),
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
