import type { ErrorCode } from "../errors.ts";
import type { RequestContext } from "../server/context.ts";
import { problemResponse } from "../server/respond.ts";
import { attemptOnce, type Attempt } from "./attempt.ts";
import {
  bufferedRequestLimit,
  declaredTooLarge,
  requestBodyShape,
  routeBodyLimit,
} from "./body-limit.ts";
import { UpstreamError } from "./upstream-error.ts";

const websocket = /(?:^|,)\s*websocket\s*(?:,|$)/i;
/** Methods a client may safely see repeated (RFC 9110 §9.2.2), for the stale-connection retry. */
const retryableMethods = new Set(["GET", "HEAD", "OPTIONS"]);

/** Called once the response is fully produced; see `forwardRequest`. */
export type ForwardDone = () => void;

const nothing: ForwardDone = () => {};

/**
 * Forwards the request to one of the route's upstream targets and returns the upstream's
 * response (status, fields minus hop-by-hop ones, body streamed or passed as received), or a
 * problem response: refused/reset/DNS/invalid answer → 502, connect timeout → 502, no response
 * head in time → 504, body over the route limit → 413.
 *
 * Retries: once on another target when the connection could not be made (nothing was sent),
 * and once on a fresh connection when a kept-alive one turns out closed before any answer to a
 * GET, HEAD or OPTIONS without body. A request whose body may have reached an upstream is never
 * sent twice.
 *
 * `onDone` runs exactly once, when the returned response is complete: at once for a problem
 * response, and for an upstream response when its body has been relayed or was cut off. By then
 * `ctx.upstreamError` holds the failure category, including a body truncated mid-stream
 * (`reset`) or abandoned by the client (`aborted`), so the access record can say so.
 *
 * Written with promise chains rather than async functions: every async frame on this path is
 * one more promise per request.
 */
export function forwardRequest(
  ctx: RequestContext,
  upstreamPath: string,
  onDone: ForwardDone = nothing,
): Promise<Response> {
  try {
    return forward(ctx, upstreamPath, onDone);
  } catch (error) {
    return Promise.reject(error);
  }
}

function forward(ctx: RequestContext, upstreamPath: string, onDone: ForwardDone) {
  const route = ctx.route;
  if (!route) return Promise.resolve(refuse(ctx, "internal", onDone));
  const request = ctx.request;
  const headers = request.headers;

  const unsupported = unsupportedFeature(headers);
  if (unsupported) return Promise.resolve(refuse(ctx, unsupported, onDone));
  const shape = requestBodyShape(headers);
  const limit = routeBodyLimit(route.config);
  if (declaredTooLarge(shape, limit)) {
    return Promise.resolve(refuse(ctx, "request.body_too_large", onDone));
  }

  const first = route.upstream.pick();
  if (!first) return Promise.resolve(refuse(ctx, "upstream.unavailable", onDone));
  const plan: Attempt = {
    upstream: route.upstream,
    target: first,
    path: upstreamPath + ctx.query,
    shape,
    bodyBytes: null,
    limit,
    fresh: false,
  };
  // A small body with a known length is read first and written with the head in one go.
  if (shape.present && shape.length > 0 && shape.length <= bufferedRequestLimit) {
    return request.bytes().then(
      (bodyBytes) => tryTarget(ctx, { ...plan, bodyBytes }, 0, onDone),
      // The client disconnected or broke off its body; nobody is left to answer.
      () => refuse(ctx, "request.aborted", onDone),
    );
  }
  return tryTarget(ctx, plan, 0, onDone);
}

function tryTarget(ctx: RequestContext, plan: Attempt, attempt: number, onDone: ForwardDone) {
  ctx.upstreamTarget = plan.target.origin;
  return attemptOnce(ctx, plan, onDone).catch((error: unknown) =>
    afterFailure(ctx, plan, attempt, error, onDone));
}

function afterFailure(
  ctx: RequestContext,
  plan: Attempt,
  attempt: number,
  error: unknown,
  onDone: ForwardDone,
): Response | Promise<Response> {
  const failure = error instanceof UpstreamError ? error : unexpected(error);
  ctx.upstreamError = failure.category;
  if (attempt > 0) return refuse(ctx, failure.code, onDone);

  if (failure.nothingSent) {
    const next = plan.upstream.pick(plan.target);
    if (!next) return refuse(ctx, failure.code, onDone);
    return tryTarget(ctx, { ...plan, target: next }, attempt + 1, onDone);
  }
  if (failure.staleConnection && !plan.shape.present && retryableMethods.has(ctx.method)) {
    return tryTarget(ctx, { ...plan, fresh: true }, attempt + 1, onDone);
  }
  return refuse(ctx, failure.code, onDone);
}

/**
 * Upgrades: WebSocket is not supported yet, so a handshake is refused with 400 rather than
 * forwarded without its Upgrade field (which would hand the upstream a half handshake). Other
 * upgrades (h2c) are optional for the client: the field is dropped as hop-by-hop and the request
 * is served as plain HTTP/1.1 (RFC 9110 §7.8). Expect: only 100-continue exists (RFC 9110
 * §10.1.1); Bun.serve answers it itself, anything else is 417.
 */
function unsupportedFeature(headers: Headers): ErrorCode | null {
  const upgrade = headers.get("upgrade");
  if (upgrade !== null && websocket.test(upgrade)) return "request.upgrade_unsupported";
  const expect = headers.get("expect");
  if (expect !== null && expect.trim().toLowerCase() !== "100-continue") {
    return "request.expectation_failed";
  }
  return null;
}

function refuse(ctx: RequestContext, code: ErrorCode, onDone: ForwardDone): Response {
  ctx.reason ??= code;
  const response = problemResponse(code, ctx.requestId);
  onDone();
  return response;
}

function unexpected(error: unknown): UpstreamError {
  return new UpstreamError("protocol", error instanceof Error ? error.message : String(error));
}
