import type { Identity } from "../identity/identity.ts";
import type { CompiledRoute } from "../routing/compiled-route.ts";

/**
 * Per-request state shared by the pipeline stages, the proxy and the audit record. One object
 * per request; checks fill in what they learn instead of returning it.
 */
export interface RequestContext {
  readonly requestId: string;
  readonly request: Request;
  readonly method: string;
  /** Host header, lower-cased, without port. */
  readonly host: string;
  /** The canonical path: routing, every check and the upstream request all use this string. */
  readonly path: string;
  /** Raw query string including its leading `?`, or `""`; checks may remove credential params. */
  query: string;
  /** The TCP peer. */
  readonly peerAddress: string;
  /** The client as far as trusted proxies say; the peer when none is trusted. */
  readonly clientAddress: string;
  /** `performance.now()` when the request arrived. */
  readonly startedAt: number;
  /** Wall-clock milliseconds when the request arrived. */
  readonly receivedAtMs: number;

  route: CompiledRoute | null;
  /** Named path parameters of the matched route. */
  params: Readonly<Record<string, string>> | null;
  identity: Identity | null;

  /** Headers checks want on the response, allowed or denied (RateLimit, RateLimit-Policy). */
  responseHeaders: Record<string, string> | null;
  /** The rule or limit that decided, for audit and access logs. */
  ruleId: string | null;
  /** Precise reason code of the decision (audit only). */
  reason: string | null;
  /** Rate-limit outcome for the audit record, e.g. `allowed`, `limited:per-consumer`. */
  limitOutcome: string | null;
  /** Remaining quota of the tightest limit advertised so far (set by the limit checks). */
  limitRemaining?: number;
  /** Denials computed in `mode: report` that were recorded but not enforced. */
  reportOnly: string[] | null;
  /** Upstream target URL origin the request went to. */
  upstreamTarget: string | null;
  /** Why the upstream exchange failed, when it did (refused, timeout, dns, protocol, reset). */
  upstreamError: string | null;
}
