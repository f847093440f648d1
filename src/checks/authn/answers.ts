import { deny, type Denial } from "../../pipeline/verdict.ts";

/**
 * The public answers of authentication. Every bad credential gets the same status, headers and
 * body whatever was wrong with it (unknown, revoked, expired, one character off): the precise
 * reason travels only in `reason`, to the audit record and metrics (RFC 6750 §3.1 names the
 * error class, never the cause).
 */
const missingChallenge = Object.freeze({ "www-authenticate": 'Bearer realm="portcullis"' });
const invalidChallenge = Object.freeze({
  "www-authenticate": 'Bearer realm="portcullis", error="invalid_token"',
});

export const missingCredentials: Denial = Object.freeze(
  deny("authn.missing", "authn.missing", { headers: missingChallenge }),
);

const invalidByReason = new Map<string, Denial>();

/** A 401 for a presented but unusable credential; one frozen denial per reason code. */
export function invalidCredentials(reason: string): Denial {
  let denial = invalidByReason.get(reason);
  if (!denial) {
    denial = Object.freeze(deny("authn.invalid", reason, { headers: invalidChallenge }));
    invalidByReason.set(reason, denial);
  }
  return denial;
}

/** A 400 for several credentials on one request (RFC 6750 §3.1 `invalid_request`). */
export function conflictingCredentials(reason: string): Denial {
  return deny("authn.conflict", reason, {
    headers: { "www-authenticate": 'Bearer realm="portcullis", error="invalid_request"' },
  });
}

/** A 503 when an issuer's keys were never obtained and its failure mode is `deny`. */
export function authnUnavailable(reason: string): Denial {
  return deny("authn.unavailable", reason, { headers: { "retry-after": "5" } });
}
