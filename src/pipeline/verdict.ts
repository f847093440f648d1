import type { ErrorCode } from "../errors.ts";

/** The check let the request through. Shared, so allowing allocates nothing. */
export const ALLOW = Object.freeze({ kind: "allow" as const });
/** The check does not apply to this request; the next one decides (e.g. no API key present). */
export const SKIP = Object.freeze({ kind: "skip" as const });

/** The check refused the request. A denial is a returned value, never a thrown error. */
export interface Denial {
  readonly kind: "deny";
  /** Public code: what the client sees. */
  readonly code: ErrorCode;
  /** Precise reason for the audit record and metrics only (e.g. `authn.api_key.revoked`). */
  readonly reason: string;
  /** Id of the policy rule or limit that decided, when there is one. */
  readonly ruleId?: string;
  /** Extra response headers (WWW-Authenticate, Retry-After, RateLimit). */
  readonly headers?: Readonly<Record<string, string>>;
  /** Safe, client-facing detail. Never a secret, never library error text. */
  readonly detail?: string;
}

export type Verdict = typeof ALLOW | typeof SKIP | Denial;

export function deny(
  code: ErrorCode,
  reason: string,
  extra?: Omit<Denial, "kind" | "code" | "reason">,
): Denial {
  return { kind: "deny", code, reason, ...extra };
}
