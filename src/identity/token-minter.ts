import { randomBytes } from "node:crypto";
import type { Identity } from "./identity.ts";
import { signCompact } from "./jws-sign.ts";
import type { SigningKeys } from "./signing-keys.ts";

export interface MintRequest {
  readonly identity: Identity;
  readonly audience: string;
  readonly ttlSec: number;
  /** Scopes to put in the token; already narrowed by the caller. */
  readonly scopes: readonly string[];
  /** The API key the token is exchanged from, so revoking the key kills the token. */
  readonly sourceKeyId: string | null;
  /** RFC 8693 actor chain, current actor first. */
  readonly actorChain: readonly string[];
}

export interface MintedToken {
  readonly token: string;
  readonly jti: string;
  readonly expiresAtSec: number;
}

export interface TokenMinter {
  mint(request: MintRequest, nowMs: number): MintedToken;
  /**
   * A short-lived token for an upstream, re-used for half its life per identity and audience so
   * a busy caller does not cost a signature per request.
   */
  forUpstream(identity: Identity, audience: string, ttlSec: number, nowMs: number): string;
}

/**
 * Mints the gateway's own JWTs (RFC 9068 access-token shape): `sub`, `tenant`, `roles`,
 * `scope`, `jti`, `cid` (source key id), `act`, signed with the active signing key.
 */
export function createTokenMinter(keys: SigningKeys, issuer: string): TokenMinter {
  const upstreamTokens = new WeakMap<Identity, Map<string, { token: string; renewAtMs: number }>>();

  function mint(request: MintRequest, nowMs: number): MintedToken {
    const { identity } = request;
    const active = keys.active();
    const iat = Math.floor(nowMs / 1000);
    const jti = randomBytes(16).toString("base64url");
    const payload: Record<string, unknown> = {
      iss: issuer,
      sub: identity.subject,
      aud: request.audience,
      iat,
      exp: iat + request.ttlSec,
      jti,
      roles: identity.roles,
      scope: request.scopes.join(" "),
    };
    if (identity.tenant) payload.tenant = identity.tenant;
    if (identity.email) payload.email = identity.email;
    if (request.sourceKeyId) payload.cid = request.sourceKeyId;
    if (request.actorChain.length > 0) payload.act = nestActors(request.actorChain);

    const header = { alg: active.alg, typ: "at+jwt", kid: active.kid };
    return {
      token: signCompact(header, payload, active.key),
      jti,
      expiresAtSec: iat + request.ttlSec,
    };
  }

  return {
    mint,
    forUpstream(identity, audience, ttlSec, nowMs) {
      let byAudience = upstreamTokens.get(identity);
      const cached = byAudience?.get(audience);
      if (cached && nowMs < cached.renewAtMs) return cached.token;

      const minted = mint(
        {
          identity,
          audience,
          ttlSec,
          scopes: identity.scopes,
          sourceKeyId:
            identity.kind === "api-key" ? identity.credentialId : (identity.sourceKeyId ?? null),
          actorChain: identity.actorChain,
        },
        nowMs,
      );
      if (!byAudience) upstreamTokens.set(identity, (byAudience = new Map()));
      byAudience.set(audience, { token: minted.token, renewAtMs: nowMs + (ttlSec * 1000) / 2 });
      return minted.token;
    },
  };
}

/** RFC 8693 §4.1: the current actor at the top, prior actors nested inside. */
function nestActors(chain: readonly string[]): Record<string, unknown> {
  let act: Record<string, unknown> | undefined;
  for (let i = chain.length - 1; i >= 0; i--) {
    act = act ? { sub: chain[i], act } : { sub: chain[i] };
  }
  return act!;
}
