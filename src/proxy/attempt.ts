import type { RequestContext } from "../server/context.ts";
import { limitBodyStream, type RequestBodyShape } from "./body-limit.ts";
import { Exchange, type OutboundRequest } from "./exchange.ts";
import { fetchUpstream } from "./fetch-client.ts";
import { prepareUpstreamHeaders } from "./headers.ts";
import type { Http1Connection } from "./http1-connection.ts";
import { serializeUpstreamHead } from "./request-head.ts";
import type { Upstream, UpstreamTarget } from "./upstream.ts";
import { UpstreamError } from "./upstream-error.ts";

/** One try at one target. */
export interface Attempt {
  readonly upstream: Upstream;
  readonly target: UpstreamTarget;
  /** Request-target: upstream path plus the raw query. */
  readonly path: string;
  readonly shape: RequestBodyShape;
  /** The body, when it was small enough to be read before forwarding. */
  readonly bodyBytes: Uint8Array | null;
  readonly limit: number;
  /** Skip the idle pool: the last kept-alive connection turned out dead. */
  readonly fresh: boolean;
}

/** Headers already rewritten in place for the fetch client: a retry must not do it twice. */
const rewritten = new WeakSet<Headers>();

/**
 * Sends the request to one target and resolves with the response head: over the target's pool
 * of kept-alive HTTP/1.1 connections, or over Bun's fetch for `https:` targets. Rejects with an
 * UpstreamError; passive health is updated here, the retry decision is the caller's.
 */
export function attemptOnce(
  ctx: RequestContext,
  plan: Attempt,
  onDone: () => void,
): Promise<Response> {
  const { upstream, target } = plan;
  if (!target.pooled) return attemptWithFetch(ctx, plan, onDone);

  const idle = plan.fresh ? null : target.pool.takeIdle();
  if (idle) return send(ctx, plan, idle, onDone);
  const connectMs = ctx.route!.config.timeouts?.connectMs ?? upstream.settings.connectTimeoutMs;
  return target.pool.open(connectMs).then(
    (connection) => send(ctx, plan, connection, onDone),
    (error: unknown) => {
      if (error instanceof UpstreamError && error.blamesTarget) upstream.reportFailure(target);
      throw error;
    },
  );
}

function send(
  ctx: RequestContext,
  plan: Attempt,
  connection: Http1Connection,
  onDone: () => void,
): Promise<Response> {
  const { upstream, target, shape, bodyBytes } = plan;
  const request = ctx.request;
  const streamed = shape.present && bodyBytes === null ? request.body : null;
  const framing = bodyBytes
    ? `content-length: ${bodyBytes.length}\r\n`
    : streamed === null ? ""
    : shape.length >= 0 ? `content-length: ${shape.length}\r\n`
    : "transfer-encoding: chunked\r\n";
  const outbound: OutboundRequest = {
    method: ctx.method,
    head: serializeUpstreamHead(ctx, request.headers, plan.path, target.hostHeader, framing),
    bodyBytes,
    bodyStream: streamed,
    chunked: streamed !== null && shape.length < 0,
    maxBodyBytes: plan.limit,
    responseHeadersTimeoutMs: headersTimeout(ctx, upstream),
    maxResponseHeadBytes: upstream.settings.maxResponseHeaderBytes,
  };
  const exchange = new Exchange(
    connection,
    outbound,
    (error, responded) => {
      settle(ctx, upstream, target, error);
      if (responded) onDone();
    },
    target.pool,
  );
  // A client that leaves before the response head cancels the upstream request.
  exchange.start(request.signal);
  return exchange.response;
}

function attemptWithFetch(ctx: RequestContext, plan: Attempt, onDone: () => void) {
  const { upstream, target } = plan;
  const request = ctx.request;
  if (!rewritten.has(request.headers)) {
    prepareUpstreamHeaders(ctx, request.headers);
    rewritten.add(request.headers);
  }
  const streamed = plan.shape.present && plan.bodyBytes === null ? request.body : null;
  return fetchUpstream({
    method: ctx.method,
    url: target.origin + plan.path,
    headers: request.headers,
    body: streamed ? limitBodyStream(streamed, plan.limit) : plan.bodyBytes,
    responseHeadersTimeoutMs: headersTimeout(ctx, upstream),
    signal: request.signal,
  }).then(
    // Bun's fetch gives no signal when a relayed body ends; the head is as far as we see.
    (response) => (upstream.reportSuccess(target), onDone(), response),
    (error: UpstreamError) => {
      if (error.blamesTarget) upstream.reportFailure(target);
      throw error;
    },
  );
}

function headersTimeout(ctx: RequestContext, upstream: Upstream): number {
  const override = ctx.route!.config.timeouts?.responseHeadersMs;
  return override ?? upstream.settings.responseHeadersTimeoutMs;
}

/** Runs once per exchange, also after the response was returned (a body cut mid-stream). */
function settle(
  ctx: RequestContext,
  upstream: Upstream,
  target: UpstreamTarget,
  error: UpstreamError | null,
): void {
  if (error === null) {
    ctx.upstreamError = null;
    upstream.reportSuccess(target);
    return;
  }
  ctx.upstreamError = error.category;
  if (error.blamesTarget && !error.staleConnection) upstream.reportFailure(target);
}
