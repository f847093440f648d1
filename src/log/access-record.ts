import type { RequestContext } from "../server/context.ts";
import { redactQuery } from "./redact-query.ts";
import { safeText } from "./safe-text.ts";

/**
 * One access log line per request. pino adds `time`, `level` and `node`. Every field that a
 * client controls (path, query) is redacted and escaped here, so the logger never sees a raw
 * credential parameter or a control character.
 */
export interface AccessRecord {
  readonly msg: "access";
  readonly requestId: string;
  readonly route: string | null;
  readonly method: string;
  readonly path: string;
  /** Query string with credential parameters' values replaced; `""` when there was none. */
  readonly query: string;
  readonly client: string;
  readonly status: number;
  readonly upstream: string | null;
  /** Category of upstream failure (`refused`, `timeout`, …), null when none. */
  readonly upstreamError: string | null;
  readonly durationMs: number;
  readonly ruleId: string | null;
  readonly reason: string | null;
}

/**
 * Builds the access record for `logger.info(record)`. Costs one small object and, only when
 * a query string is present, one redaction pass.
 */
export function buildAccessRecord(
  ctx: RequestContext,
  status: number,
  durationMs: number,
): AccessRecord {
  return {
    msg: "access",
    requestId: ctx.requestId,
    route: ctx.route?.id ?? null,
    method: safeText(ctx.method, 32),
    path: safeText(ctx.path),
    query: ctx.query === "" ? "" : safeText(redactQuery(ctx.query)),
    client: ctx.clientAddress,
    status,
    upstream: ctx.upstreamTarget,
    upstreamError: ctx.upstreamError,
    durationMs: Math.round(durationMs * 1000) / 1000,
    ruleId: ctx.ruleId,
    reason: ctx.reason,
  };
}
