import type { Identity } from "./identity.ts";

/** Claim rules of one issuer, with durations already in seconds. */
export interface ClaimRules {
  readonly issuer: string;
  readonly audiences: ReadonlySet<string>;
  readonly leewaySec: number;
  readonly maxTokenAgeSec?: number;
  readonly maxLifetimeSec?: number;
}

export interface ClaimNames {
  readonly subject: string;
  readonly tenant: string;
  readonly roles: string;
  readonly scopes: string;
  readonly email: string;
}

export type ClaimReason =
  | "authn.jwt.issuer_mismatch"
  | "authn.jwt.audience_mismatch"
  | "authn.jwt.exp_missing"
  | "authn.jwt.claim_invalid"
  | "authn.jwt.expired"
  | "authn.jwt.not_yet_valid"
  | "authn.jwt.issued_in_future"
  | "authn.jwt.too_old"
  | "authn.jwt.lifetime_exceeded";

/**
 * Validates the registered claims (RFC 7519 §4.1) of a signature-checked payload. `iss` and
 * `aud` are required and compared as exact strings; `exp` is required and must be a number
 * (a string such as "9999999999" is refused, RFC 7519 §2 NumericDate).
 */
export function validateClaims(
  payload: Record<string, unknown>,
  rules: ClaimRules,
  nowSec: number,
): ClaimReason | null {
  if (payload.iss !== rules.issuer) return "authn.jwt.issuer_mismatch";
  if (!audienceMatches(payload.aud, rules.audiences)) return "authn.jwt.audience_mismatch";

  const { exp, nbf, iat } = payload;
  if (exp === undefined) return "authn.jwt.exp_missing";
  if (!isNumericDate(exp) || (nbf !== undefined && !isNumericDate(nbf))) {
    return "authn.jwt.claim_invalid";
  }
  if (iat !== undefined && !isNumericDate(iat)) return "authn.jwt.claim_invalid";

  const leeway = rules.leewaySec;
  if (exp <= nowSec - leeway) return "authn.jwt.expired";
  if (nbf !== undefined && nbf > nowSec + leeway) return "authn.jwt.not_yet_valid";
  if (iat !== undefined && iat > nowSec + leeway) return "authn.jwt.issued_in_future";

  const needsIat = rules.maxTokenAgeSec !== undefined || rules.maxLifetimeSec !== undefined;
  if (needsIat && iat === undefined) return "authn.jwt.claim_invalid";
  if (
    rules.maxTokenAgeSec !== undefined &&
    nowSec - (iat as number) > rules.maxTokenAgeSec + leeway
  ) {
    return "authn.jwt.too_old";
  }
  if (rules.maxLifetimeSec !== undefined && exp - (iat as number) > rules.maxLifetimeSec) {
    return "authn.jwt.lifetime_exceeded";
  }
  return null;
}

/** The instants (Unix ms) between which `validateClaims` accepts a payload it accepted once. */
export interface ValidityWindow {
  readonly fromMs: number;
  readonly untilMs: number;
}

/**
 * When the time rules of `validateClaims` start and stop accepting an already validated payload,
 * so a cached verification re-applies every one of them (exp, nbf, iat in the future, maximum
 * age) with two comparisons. `validateClaims` compares whole seconds (`floor(now)`), hence the
 * rounding: each bound is the first millisecond at which its rule's answer changes.
 */
export function validityWindow(
  payload: Record<string, unknown>,
  rules: ClaimRules,
): ValidityWindow {
  const leeway = rules.leewaySec;
  const { exp, nbf, iat } = payload as { exp: number; nbf?: number; iat?: number };
  // Expired once floor(now) >= exp + leeway.
  let untilSec = Math.ceil(exp + leeway);
  // Too old once floor(now) > iat + maxAge + leeway.
  if (rules.maxTokenAgeSec !== undefined && iat !== undefined) {
    untilSec = Math.min(untilSec, Math.floor(iat + rules.maxTokenAgeSec + leeway) + 1);
  }
  // Not yet valid (nbf) or issued in the future (iat) while floor(now) < claim - leeway.
  let fromSec = -Infinity;
  if (nbf !== undefined) fromSec = Math.ceil(nbf - leeway);
  if (iat !== undefined) fromSec = Math.max(fromSec, Math.ceil(iat - leeway));
  return { fromMs: fromSec * 1000, untilMs: untilSec * 1000 };
}

function isNumericDate(value: unknown): value is number {
  return typeof value === "number" && Number.isFinite(value);
}

function audienceMatches(aud: unknown, accepted: ReadonlySet<string>): boolean {
  if (typeof aud === "string") return accepted.has(aud);
  if (!Array.isArray(aud)) return false;
  return aud.some((a) => typeof a === "string" && accepted.has(a));
}

/**
 * Maps claims to an identity by the issuer's configured names. Returns null when the subject
 * claim is missing, empty, not a string or holds control characters. Non-string list members
 * are dropped; other unsafe values are dropped later, where they would become headers.
 */
export function claimsToIdentity(
  payload: Record<string, unknown>,
  names: ClaimNames,
  kind: "jwt" | "minted-token",
): Identity | null {
  const subject = payload[names.subject];
  // A subject with control characters cannot name anyone safely in headers, logs or audit.
  if (typeof subject !== "string" || subject === "" || controlCharacter.test(subject)) return null;
  const tenant = payload[names.tenant];
  const email = payload[names.email];
  const jti = payload.jti;
  const cid = payload.cid;
  return {
    subject,
    kind,
    credentialId: typeof jti === "string" ? jti : null,
    tenant: typeof tenant === "string" && tenant !== "" ? tenant : null,
    roles: listClaim(payload[names.roles], /[\s,]+/),
    // RFC 8693 §4.2: `scope` is a space-separated string; `scp`-style arrays are accepted too.
    scopes: listClaim(payload[names.scopes], / +/),
    actorChain: actorChain(payload.act),
    issuer: payload.iss as string,
    email: typeof email === "string" ? email : null,
    sourceKeyId: kind === "minted-token" && typeof cid === "string" ? cid : null,
  };
}

const controlCharacter = /[\u0000-\u001f\u007f]/;

function listClaim(value: unknown, separator: RegExp): string[] {
  if (typeof value === "string") return value.split(separator).filter((s) => s !== "");
  if (!Array.isArray(value)) return [];
  return value.filter((v): v is string => typeof v === "string" && v !== "");
}

/**
 * RFC 8693 §4.1: `act` names the current actor and may nest the prior ones. The chain is kept
 * outermost (current) actor first; depth is bounded so a hostile token cannot nest forever.
 */
function actorChain(act: unknown): string[] {
  const chain: string[] = [];
  let current = act;
  while (current && typeof current === "object" && chain.length < 16) {
    const sub = (current as Record<string, unknown>).sub;
    if (typeof sub !== "string") break;
    chain.push(sub);
    current = (current as Record<string, unknown>).act;
  }
  return chain;
}
