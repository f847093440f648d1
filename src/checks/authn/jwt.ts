import { decodeJwt } from "../../identity/jwt-decode.ts";
import type { IssuerVerifier, JwtResult } from "../../identity/jwt-verifier.ts";
import type { TokenCache } from "../../identity/token-cache.ts";
import { ALLOW, SKIP, type Verdict } from "../../pipeline/verdict.ts";
import type { RequestContext } from "../../server/context.ts";
import { authnUnavailable, invalidCredentials } from "./answers.ts";

export type JwtCheck = (ctx: RequestContext, token: string) => Verdict | Promise<Verdict>;

/**
 * Authenticates a bearer JWT against the route's trusted issuers. A token verified before is
 * found by its SHA-256 in the cache and allowed synchronously (no signature check, no promise);
 * otherwise the `iss` claim picks the issuer, and only that issuer's keys may verify it.
 */
export function createJwtCheck(verifiers: readonly IssuerVerifier[], cache: TokenCache): JwtCheck {
  const byIssuer = new Map(verifiers.map((v) => [v.rules.issuer, v]));
  const allowed = new Set(verifiers);

  function settle(ctx: RequestContext, verifier: IssuerVerifier, key: string, result: JwtResult) {
    if (!result.ok) {
      if (result.reason !== "authn.jwt.keys_unavailable") return invalidCredentials(result.reason);
      // Explicit failure mode (STYLE §11): `allow` passes on unauthenticated, authz decides.
      return verifier.onError === "allow" ? SKIP : authnUnavailable(result.reason);
    }
    cache.set(key, {
      verifier,
      keyGeneration: verifier.source.generation,
      identity: result.identity,
      validFromMs: result.validFromMs,
      validUntilMs: result.validUntilMs,
      issuedAtSec: result.issuedAtSec,
    });
    ctx.identity = result.identity;
    return ALLOW;
  }

  return function jwt(ctx, token) {
    const now = Date.now();
    const key = cache.keyOf(token);
    const hit = cache.get(key, now);
    if (hit && allowed.has(hit.verifier)) {
      const revoked = hit.verifier.stillValid?.(hit.identity, hit.issuedAtSec, now);
      if (revoked) return invalidCredentials(revoked);
      ctx.identity = hit.identity;
      return ALLOW;
    }

    const decoded = decodeJwt(token);
    if (!decoded) return invalidCredentials("authn.jwt.malformed");
    const iss = decoded.payload.iss;
    const verifier = typeof iss === "string" ? byIssuer.get(iss) : undefined;
    if (!verifier) return invalidCredentials("authn.jwt.issuer_untrusted");
    return verifier
      .verify(token, decoded, now)
      .then((result) => settle(ctx, verifier, key, result));
  };
}
