import { compactVerify } from "jose";
import {
  claimsToIdentity,
  validateClaims,
  validityWindow,
  type ClaimNames,
  type ClaimReason,
  type ClaimRules,
} from "./jwt-claims.ts";
import type { DecodedJwt } from "./jwt-decode.ts";
import type { KeySource } from "./jwks-source.ts";
import type { Identity } from "./identity.ts";

export type JwtReason =
  | ClaimReason
  | "authn.jwt.malformed"
  | "authn.jwt.issuer_untrusted"
  | "authn.jwt.alg_not_allowed"
  | "authn.jwt.typ_mismatch"
  | "authn.jwt.crit_unsupported"
  | "authn.jwt.unknown_kid"
  | "authn.jwt.keys_unavailable"
  | "authn.jwt.bad_signature"
  | "authn.jwt.subject_missing"
  | "authn.jwt.revoked";

export type JwtResult =
  | {
      readonly ok: true;
      readonly identity: Identity;
      /** A cached verification is good from this instant (nbf, iat minus leeway)... */
      readonly validFromMs: number;
      /** ...until this one (the earlier of exp plus leeway and the maximum token age). */
      readonly validUntilMs: number;
      readonly issuedAtSec: number;
    }
  | { readonly ok: false; readonly reason: JwtReason };

export interface IssuerVerifierOptions {
  readonly id: string;
  readonly rules: ClaimRules;
  readonly names: ClaimNames;
  readonly algorithms: ReadonlySet<string>;
  readonly typ?: string;
  readonly source: KeySource;
  readonly kind: "jwt" | "minted-token";
  readonly onError: "deny" | "allow";
  /** Runs on every use, cached or not (revocation of the gateway's own tokens). */
  readonly stillValid?: (
    identity: Identity,
    issuedAtSec: number,
    nowMs: number,
  ) => JwtReason | null;
  /** 0 turns the verified-token cache off for this issuer. */
  readonly cacheMaxEntries: number;
}

export interface IssuerVerifier extends IssuerVerifierOptions {
  verify(token: string, decoded: DecodedJwt, nowMs: number): Promise<JwtResult>;
  close(): void;
}

/**
 * Verifies tokens of one trusted issuer: header rules, key lookup by `kid` in this issuer's keys
 * only (a key trusted for one issuer never validates another's tokens), the signature with jose,
 * then the claims. Every failure is a distinct reason code for the audit record.
 */
export function createIssuerVerifier(options: IssuerVerifierOptions): IssuerVerifier {
  const expectedTyp = options.typ === undefined ? undefined : normalizeTyp(options.typ);

  async function verify(token: string, decoded: DecodedJwt, nowMs: number): Promise<JwtResult> {
    const { header, payload } = decoded;
    const alg = header.alg;
    // RFC 8725 §3.1: the algorithm comes from our allow-list, never from the token alone.
    if (typeof alg !== "string" || !options.algorithms.has(alg))
      return fail("authn.jwt.alg_not_allowed");
    // RFC 7515 §4.1.11: we understand no critical extension, so any `crit` means reject.
    if (header.crit !== undefined) return fail("authn.jwt.crit_unsupported");
    if (header.b64 !== undefined) return fail("authn.jwt.malformed");
    if (header.kid !== undefined && typeof header.kid !== "string")
      return fail("authn.jwt.malformed");
    if (
      expectedTyp !== undefined &&
      (typeof header.typ !== "string" || normalizeTyp(header.typ) !== expectedTyp)
    ) {
      return fail("authn.jwt.typ_mismatch");
    }

    const found = await options.source.lookup(header.kid as string | undefined, alg);
    if ("missing" in found) {
      return fail(
        found.missing === "unknown_kid" ? "authn.jwt.unknown_kid" : "authn.jwt.keys_unavailable",
      );
    }
    try {
      await compactVerify(token, found.key, { algorithms: [alg] });
    } catch {
      return fail("authn.jwt.bad_signature");
    }

    const nowSec = Math.floor(nowMs / 1000);
    const claimProblem = validateClaims(payload, options.rules, nowSec);
    if (claimProblem) return fail(claimProblem);
    const identity = claimsToIdentity(payload, options.names, options.kind);
    if (!identity) return fail("authn.jwt.subject_missing");

    const issuedAtSec = typeof payload.iat === "number" ? payload.iat : 0;
    const revoked = options.stillValid?.(identity, issuedAtSec, nowMs);
    if (revoked) return fail(revoked);
    const window = validityWindow(payload, options.rules);
    return {
      ok: true,
      identity,
      validFromMs: window.fromMs,
      validUntilMs: window.untilMs,
      issuedAtSec,
    };
  }

  return { ...options, verify, close: () => options.source.close() };
}

function fail(reason: JwtReason): JwtResult {
  return { ok: false, reason };
}

/** RFC 7515 §4.1.9: `typ` is a media type whose `application/` prefix may be left out. */
function normalizeTyp(typ: string): string {
  const lower = typ.toLowerCase();
  return lower.includes("/") ? lower : `application/${lower}`;
}
