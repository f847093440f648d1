/**
 * The one registry of error and denial codes. Clients, alerts and audit queries key on these
 * codes, so a code, once published, keeps its meaning and is never reused for another.
 *
 * Public codes are what a client sees in problem+json. Reason codes are precise and go only to
 * the audit record and metrics: a client must not learn whether a key was unknown or revoked.
 */
export const errorCodes = {
  // Request shape, before routing.
  "request.malformed": { status: 400, title: "Malformed request" },
  "request.header_too_large": { status: 431, title: "Request header fields too large" },
  "request.body_too_large": { status: 413, title: "Request body too large" },
  "request.upgrade_unsupported": { status: 400, title: "Protocol upgrade not supported" },
  "request.expectation_failed": { status: 417, title: "Expectation not supported" },
  "path.invalid": { status: 400, title: "Invalid request path" },
  "path.above_root": { status: 400, title: "Request path climbs above the root" },
  "path.encoded_separator": { status: 400, title: "Encoded separator in request path" },
  "path.ambiguous": { status: 400, title: "Ambiguous request path" },
  "route.not_found": { status: 404, title: "No route matches this request" },
  "route.method_not_allowed": { status: 405, title: "Method not allowed on this route" },

  // Authentication: one public answer for every bad credential (see reason codes below).
  "authn.missing": { status: 401, title: "Credentials required" },
  "authn.invalid": { status: 401, title: "Invalid credentials" },
  "authn.conflict": { status: 400, title: "More than one credential supplied" },
  "authn.unavailable": { status: 503, title: "Credentials cannot be checked right now" },

  // Authorization.
  "authz.denied": { status: 403, title: "Not allowed" },

  // Rate limiting.
  "limit.exceeded": { status: 429, title: "Rate limit exceeded" },

  // Token endpoint (RFC 6749 §5.2 errors are carried in the body as well).
  "token.invalid_request": { status: 400, title: "Invalid token request" },
  "token.invalid_client": { status: 401, title: "Invalid client credentials" },
  "token.invalid_grant": { status: 400, title: "Invalid grant" },
  "token.invalid_scope": { status: 400, title: "Requested scope exceeds what the key holds" },
  "token.unsupported_grant_type": { status: 400, title: "Unsupported grant type" },

  // Upstream failures.
  "upstream.refused": { status: 502, title: "Upstream refused the connection" },
  "upstream.reset": { status: 502, title: "Upstream closed the connection" },
  "upstream.protocol": { status: 502, title: "Upstream sent an invalid response" },
  "upstream.dns": { status: 502, title: "Upstream host could not be resolved" },
  "upstream.timeout": { status: 504, title: "Upstream did not answer in time" },
  "upstream.unavailable": { status: 503, title: "No healthy upstream target" },
  "upstream.connect_timeout": { status: 502, title: "Upstream connection timed out" },
  "request.aborted": { status: 499, title: "Client closed the request" },

  // Our own faults and degraded modes.
  "audit.unavailable": { status: 503, title: "Audit trail unavailable" },
  "admin.unauthorized": { status: 401, title: "Admin credential required" },
  "admin.bad_request": { status: 400, title: "Invalid admin request" },
  "admin.not_found": { status: 404, title: "Not found" },
  "admin.conflict": { status: 409, title: "Conflicts with the current state" },
  "gateway.shutting_down": { status: 503, title: "Gateway is shutting down" },
  "internal": { status: 500, title: "Internal gateway error" },
} as const satisfies Record<string, { status: number; title: string }>;

export type ErrorCode = keyof typeof errorCodes;

/** Base URI for the problem `type` member (RFC 9457 §3.1.1); the code is appended. */
export const problemTypeBase = "https://portcullis.dev/problems/";

export function statusOf(code: ErrorCode): number {
  return errorCodes[code].status;
}
