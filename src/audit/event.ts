import type { RequestContext } from "../server/context.ts";

/** How the gateway disposed of a request: forwarded, refused, or failed on our side. */
export type AuditDecision = "allow" | "deny" | "error";

/** What the request path knows when the response is decided. */
export interface AuditOutcome {
  readonly status: number;
  readonly decision: AuditDecision;
  readonly bytesIn: number | null;
  readonly bytesOut: number | null;
  readonly durationMs: number;
}

/**
 * One audit record: who called what, when, under which credential and rule, and what came of
 * it. Never a secret: identities are named by subject and credential id (API key id or token
 * `jti`), and the query string is redacted before the record is encoded. Every field is always
 * present (null when unknown) so that all records share one msgpackr structure.
 */
export interface AuditEvent {
  /** Wall-clock milliseconds when the request arrived. */
  readonly time: number;
  readonly requestId: string;
  readonly node: string;
  readonly client: string;
  /** Consumer id or token `sub`; null when anonymous or refused before authentication. */
  readonly subject: string | null;
  readonly identityKind: string | null;
  readonly credentialId: string | null;
  readonly tenant: string | null;
  /** RFC 8693 actor chain, outermost first: on whose behalf the caller acted. */
  readonly actorChain: readonly string[] | null;
  readonly route: string | null;
  readonly method: string;
  readonly host: string;
  readonly path: string;
  /** Raw until encoded; the encoder replaces credential parameters' values. */
  query: string;
  readonly decision: AuditDecision;
  readonly ruleId: string | null;
  readonly reason: string | null;
  readonly limit: string | null;
  /** Denials computed in report mode, recorded but not enforced. */
  readonly reportOnly: readonly string[] | null;
  readonly upstream: string | null;
  readonly upstreamError: string | null;
  readonly status: number;
  readonly bytesIn: number | null;
  readonly bytesOut: number | null;
  readonly durationMs: number;
}

/** Field order as written; the CSV export uses it for its columns. */
export const auditFields = [
  "time",
  "requestId",
  "node",
  "client",
  "subject",
  "identityKind",
  "credentialId",
  "tenant",
  "actorChain",
  "route",
  "method",
  "host",
  "path",
  "query",
  "decision",
  "ruleId",
  "reason",
  "limit",
  "reportOnly",
  "upstream",
  "upstreamError",
  "status",
  "bytesIn",
  "bytesOut",
  "durationMs",
] as const satisfies readonly (keyof AuditEvent)[];

/**
 * Copies what the audit record needs out of the request context. Runs on the request path, so
 * it only reads fields and allocates the one object: no redaction, no escaping, no encoding.
 */
export function buildAuditEvent(
  ctx: RequestContext,
  outcome: AuditOutcome,
  node: string,
): AuditEvent {
  const identity = ctx.identity;
  return {
    time: ctx.receivedAtMs,
    requestId: ctx.requestId,
    node,
    client: ctx.clientAddress,
    subject: identity ? identity.subject : null,
    identityKind: identity ? identity.kind : null,
    credentialId: identity ? identity.credentialId : null,
    tenant: identity ? identity.tenant : null,
    actorChain: identity && identity.actorChain.length > 0 ? identity.actorChain : null,
    route: ctx.route ? ctx.route.id : null,
    method: ctx.method,
    host: ctx.host,
    path: ctx.path,
    query: ctx.query,
    decision: outcome.decision,
    ruleId: ctx.ruleId,
    reason: ctx.reason,
    limit: ctx.limitOutcome,
    reportOnly: ctx.reportOnly,
    upstream: ctx.upstreamTarget,
    upstreamError: ctx.upstreamError,
    status: outcome.status,
    bytesIn: outcome.bytesIn,
    bytesOut: outcome.bytesOut,
    durationMs: outcome.durationMs,
  };
}
