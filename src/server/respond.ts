import { errorCodes, problemTypeBase, type ErrorCode } from "../errors.ts";

export interface ProblemExtras {
  /** Safe, client-facing detail; never a secret or library error text. */
  readonly detail?: string;
  readonly headers?: Readonly<Record<string, string>>;
  /** Extra members (RFC 9457 §3.2), e.g. `retryAfterSec`. */
  readonly members?: Readonly<Record<string, unknown>>;
}

/**
 * An RFC 9457 problem response. Every response the gateway itself produces goes through here,
 * so the body shape, the code and the request id are the same everywhere.
 */
export function problemResponse(code: ErrorCode, requestId: string, extras?: ProblemExtras) {
  const { status, title } = errorCodes[code];
  const body = JSON.stringify({
    type: problemTypeBase + code,
    title,
    status,
    code,
    ...(extras?.detail ? { detail: extras.detail } : {}),
    requestId,
    ...extras?.members,
  });
  const headers: Record<string, string> = {
    "content-type": "application/problem+json",
    "x-request-id": requestId,
    "cache-control": "no-store",
    ...extras?.headers,
  };
  return new Response(body, { status, headers });
}
