import type { RequestContext } from "../server/context.ts";
import { limitBodyStream, type RequestBodyShape } from "./body-limit.ts";
import { Exchange, type ExchangeSink, type OutboundRequest } from "./exchange.ts";
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
 * Whoever runs the attempts (forward.ts): told of the outcome directly. `refuse` gets any
 * failure (an UpstreamError, or something unexpected); the retry decision is its own.
 */
export interface AttemptSink extends ExchangeSink {
  refuse(error: unknown): void;
}

/**
 * Sends the request to one target, over the target's pool of kept-alive HTTP/1.1 connections,
 * or over Bun's fetch for `https:` targets, and reports to `sink`. Passive health is updated
 * here.
 */
export function attemptOnce(ctx: RequestContext, plan: Attempt, sink: AttemptSink): void {
  const { upstream, target } = plan;
  if (!target.pooled) return attemptWithFetch(ctx, plan, sink);

  const idle = plan.fresh ? null : target.pool.takeIdle();
  if (idle) return send(ctx, plan, idle, sink);
  const connectMs = ctx.route!.config.timeouts?.connectMs ?? upstream.settings.connectTimeoutMs;
  target.pool.open(connectMs).then(
    (connection: Http1Connection) => {
      try {
        send(ctx, plan, connection, sink);
      } catch (error) {
        connection.destroy();
        sink.refuse(error);
      }
    },
    (error: unknown) => {
      if (error instanceof UpstreamError && error.blamesTarget) upstream.reportFailure(target);
      sink.refuse(error);
    },
  );
}

function send(ctx: RequestContext, plan: Attempt, connection: Http1Connection, sink: AttemptSink) {
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
    responseFields: gatewayResponseFields(ctx),
  };
  // A client that leaves before the response head cancels the upstream request.
  new Exchange(connection, outbound, sink, target.pool).start(request.signal);
}

function attemptWithFetch(ctx: RequestContext, plan: Attempt, sink: AttemptSink): void {
  const { upstream, target } = plan;
  const request = ctx.request;
  if (!rewritten.has(request.headers)) {
    prepareUpstreamHeaders(ctx, request.headers);
    rewritten.add(request.headers);
  }
  const streamed = plan.shape.present && plan.bodyBytes === null ? request.body : null;
  fetchUpstream({
    method: ctx.method,
    url: target.origin + plan.path,
    headers: request.headers,
    body: streamed ? limitBodyStream(streamed, plan.limit) : plan.bodyBytes,
    responseHeadersTimeoutMs: headersTimeout(ctx, upstream),
    signal: request.signal,
  }).then(
    (response) => {
      upstream.reportSuccess(target);
      addGatewayResponseFields(ctx, response.headers);
      // Bun's fetch gives no signal when a relayed body ends; the head is as far as we see.
      sink.settled(null, true);
      sink.answer(response);
    },
    (error: UpstreamError) => {
      if (error.blamesTarget) upstream.reportFailure(target);
      sink.refuse(error);
    },
  );
}

/**
 * X-Request-Id and the fields checks asked for (RateLimit), as flat name/value pairs for the
 * pooled client's Response; they replace upstream fields of the same name.
 */
function gatewayResponseFields(ctx: RequestContext): string[] {
  const fields = ["x-request-id", ctx.requestId];
  const extra = ctx.responseHeaders;
  if (extra) for (const name in extra) fields.push(name.toLowerCase(), extra[name]!);
  return fields;
}

/** The same fields set on an existing Headers object (fetch responses, problem responses). */
export function addGatewayResponseFields(ctx: RequestContext, headers: Headers): void {
  headers.set("x-request-id", ctx.requestId);
  const extra = ctx.responseHeaders;
  if (extra) for (const name in extra) headers.set(name, extra[name]!);
}

function headersTimeout(ctx: RequestContext, upstream: Upstream): number {
  const override = ctx.route!.config.timeouts?.responseHeadersMs;
  return override ?? upstream.settings.responseHeadersTimeoutMs;
}
