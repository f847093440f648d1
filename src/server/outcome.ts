import type { AuditDecision } from "../audit/event.ts";
import { buildAccessRecord } from "../log/access-record.ts";
import type { RequestContext } from "./context.ts";
import type { Services } from "./services.ts";

/**
 * Whether the audit trail can take one more record. With `fail-closed` auditing, a request that
 * could not be recorded must not be served (an unaudited request is a policy breach).
 */
export function auditAdmits(services: Services): boolean {
  return services.audit.admit();
}

/**
 * Writes the one audit record, counter update and access record a request produces. Byte
 * counts come from Content-Length where it is known; a streamed body of unknown length is
 * recorded as null rather than paying for a counting stream on every response.
 * `responseLength` is the response's Content-Length field when the caller already knows it
 * (reading a Response's Headers costs a native wrapper); undefined reads the Headers.
 */
export function recordOutcome(
  services: Services,
  ctx: RequestContext,
  response: Response,
  decision: AuditDecision,
  logAccess: boolean,
  responseLength?: number | null,
): void {
  const durationMs = performance.now() - ctx.startedAt;
  const status = response.status;
  services.audit.record(ctx, {
    status,
    decision,
    bytesIn: lengthOf(ctx.request.headers),
    bytesOut: responseLength === undefined ? lengthOf(response.headers) : responseLength,
    durationMs,
  });
  services.metrics.observeRequest(ctx, status, durationMs, decision);
  if (logAccess) services.logger.info(buildAccessRecord(ctx, status, durationMs));
}

function lengthOf(headers: Headers): number | null {
  const value = headers.get("content-length");
  return value === null ? null : Number(value);
}
