import { looksLikeApiKey } from "../../identity/api-key-format.ts";
import type { RequestContext } from "../../server/context.ts";

/** One credential found on a request. */
export type Credential =
  | { readonly kind: "api-key"; readonly value: string }
  | { readonly kind: "jwt"; readonly value: string }
  | { readonly kind: "cert-listener"; readonly listenerId: string }
  | { readonly kind: "forwarded-cert"; readonly value: string };

/** What the request carries: nothing, one credential, or a reason to refuse it outright. */
export type Found =
  | { readonly credential: Credential | null }
  | { readonly refuse: "conflict" | "invalid"; readonly reason: string };

/** Where a route looks for credentials, decided once per route. */
export interface CredentialSources {
  readonly apiKeyHeader: string | null;
  readonly queryParam: string | null;
  /** Remove the query credential from the forwarded query (routes that do not forward). */
  readonly stripQueryParam: boolean;
  readonly acceptsApiKeys: boolean;
  readonly acceptsJwt: boolean;
  readonly certListenerOf: ((request: Request) => string | undefined) | null;
  /** Header of a trusted terminator's client certificate, with the peers allowed to send it. */
  readonly forwardedCert: { header: string; trusted(address: string): boolean } | null;
}

const none: Found = { credential: null };

/**
 * Collects every credential on the request. More than one (two `Authorization` values joined by
 * Bun with `, `, a header key plus a bearer token, a repeated query parameter) is refused: the
 * gateway never picks one of several principals or merges them (Envoy CVE-2021-32777 class).
 */
export function findCredential(ctx: RequestContext, sources: CredentialSources): Found {
  const headers = ctx.request.headers;
  const found: Credential[] = [];

  const authorization = headers.get("authorization");
  if (authorization !== null) {
    const bearer = bearerOf(authorization);
    if (typeof bearer !== "string") return bearer;
    // A dotless token that is not key-shaped is judged by what the route accepts.
    const isKey = looksLikeApiKey(bearer) || (!bearer.includes(".") && sources.acceptsApiKeys);
    found.push({ kind: isKey ? "api-key" : "jwt", value: bearer });
  }

  if (sources.apiKeyHeader !== null) {
    const value = headers.get(sources.apiKeyHeader);
    if (value !== null) {
      if (value.includes(",")) return { refuse: "conflict", reason: "authn.duplicate_credential" };
      found.push({ kind: "api-key", value });
    }
  }

  if (sources.queryParam !== null && ctx.query.length > 1) {
    const fromQuery = takeQueryParam(ctx, sources.queryParam, sources.stripQueryParam);
    if (fromQuery === "duplicate")
      return { refuse: "conflict", reason: "authn.duplicate_credential" };
    if (fromQuery !== null) found.push({ kind: "api-key", value: fromQuery });
  }

  const listenerId = sources.certListenerOf?.(ctx.request);
  if (listenerId !== undefined) found.push({ kind: "cert-listener", listenerId });
  const cert = sources.forwardedCert;
  if (cert && cert.trusted(ctx.peerAddress)) {
    const value = headers.get(cert.header);
    if (value !== null) found.push({ kind: "forwarded-cert", value });
  }

  if (found.length > 1) return { refuse: "conflict", reason: "authn.multiple_credentials" };
  if (found.length === 0) return none;
  const only = found[0]!;
  if (only.kind === "api-key" && !sources.acceptsApiKeys) {
    return { refuse: "invalid", reason: "authn.api_key.not_accepted" };
  }
  if (only.kind === "jwt" && !sources.acceptsJwt) {
    return { refuse: "invalid", reason: "authn.jwt.not_accepted" };
  }
  return { credential: only };
}

/**
 * The token of `Bearer <token>` (scheme case-insensitive, RFC 9110 §11.1). A token with a comma
 * or space is several headers joined together (RFC 6750 §2.1 b64token allows neither).
 */
function bearerOf(value: string): string | Found {
  const space = value.indexOf(" ");
  const scheme = space < 0 ? value : value.slice(0, space);
  if (scheme.toLowerCase() !== "bearer") {
    return { refuse: "invalid", reason: "authn.scheme_unsupported" };
  }
  const token = space < 0 ? "" : value.slice(space + 1).trimStart();
  if (token === "") return { refuse: "invalid", reason: "authn.bearer.malformed" };
  if (token.includes(",")) return { refuse: "conflict", reason: "authn.duplicate_credential" };
  if (/\s/.test(token)) return { refuse: "invalid", reason: "authn.bearer.malformed" };
  return token;
}

/**
 * Finds `name=value` in the query (name compared exactly: `APIKEY` is another parameter) and,
 * when asked, removes it from `ctx.query` so it is neither forwarded nor logged, keeping the
 * other parameters in order.
 */
function takeQueryParam(ctx: RequestContext, name: string, strip: boolean) {
  const pairs = ctx.query.slice(1).split("&");
  let value: string | null = null;
  let count = 0;
  const kept: string[] = [];
  for (const pair of pairs) {
    const eq = pair.indexOf("=");
    const key = eq < 0 ? pair : pair.slice(0, eq);
    if (key !== name) {
      kept.push(pair);
      continue;
    }
    count++;
    value = eq < 0 ? "" : decodeQueryValue(pair.slice(eq + 1));
  }
  if (count === 0) return null;
  if (strip) ctx.query = kept.length > 0 ? `?${kept.join("&")}` : "";
  return count > 1 ? "duplicate" : value;
}

function decodeQueryValue(raw: string): string {
  try {
    return decodeURIComponent(raw.replaceAll("+", " "));
  } catch {
    // An undecodable value cannot be a key; keep it as is so the key check calls it malformed.
    return raw;
  }
}
