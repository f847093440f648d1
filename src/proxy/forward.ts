import type { ErrorCode } from "../errors.ts";
import type { RequestContext } from "../server/context.ts";
import { problemResponse } from "../server/respond.ts";
import { attemptOnce, type Attempt, type AttemptSink } from "./attempt.ts";
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

/** What the caller of `forwardRequest` wants to be told, besides the returned promise. */
export interface ForwardHooks {
  /**
   * The response head is known; runs right after the returned promise is resolved with it.
   * `lengthField` is its Content-Length field when the proxy knows it (null: none), undefined
   * when only the Response's Headers can tell.
   */
  readonly onHead?: (response: Response, lengthField?: number | null) => void;
  /** The response is complete; see `forwardRequest`. */
  readonly onDone?: () => void;
  /**
   * A fault of the gateway itself (an exception on the way): the answer to resolve with. Without
   * it the returned promise rejects.
   */
  readonly onError?: (error: unknown) => Response;
}

const noHooks: ForwardHooks = {};

/**
 * Forwards the request to one of the route's upstream targets and returns the upstream's
 * response (status, fields minus hop-by-hop ones, body streamed or passed as received), or a
 * problem response: refused/reset/DNS/invalid answer → 502, connect timeout → 502, no response
 * head in time → 504, body over the route limit → 413. Either carries X-Request-Id and the
 * response fields the checks asked for (`ctx.responseHeaders`).
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
 * One promise per request: the attempts report to the Forwarding object directly instead of
 * through promise chains, since every promise on this path is an allocation and a microtask.
 */
export function forwardRequest(
  ctx: RequestContext,
  upstreamPath: string,
  hooks: ForwardHooks = noHooks,
): Promise<Response> {
  const forwarding = new Forwarding(ctx, hooks);
  try {
    forwarding.begin(upstreamPath);
  } catch (error) {
    forwarding.unexpected(error);
  }
  return forwarding.promise;
}

class Forwarding implements AttemptSink {
  readonly promise: Promise<Response>;
  private resolve!: (response: Response) => void;
  private reject!: (error: unknown) => void;
  private plan: Attempt | null = null;
  private attempt = 0;
  private answered = false;

  constructor(
    private readonly ctx: RequestContext,
    private readonly hooks: ForwardHooks,
  ) {
    this.promise = new Promise((resolve, reject) => {
      this.resolve = resolve;
      this.reject = reject;
    });
  }

  begin(upstreamPath: string): void {
    const ctx = this.ctx;
    const route = ctx.route;
    if (!route) return this.refuseWith("internal");
    const request = ctx.request;
    const headers = request.headers;

    const unsupported = unsupportedFeature(headers);
    if (unsupported) return this.refuseWith(unsupported);
    const shape = requestBodyShape(headers);
    const limit = routeBodyLimit(route.config);
    if (declaredTooLarge(shape, limit)) return this.refuseWith("request.body_too_large");

    const first = route.upstream.pick();
    if (!first) return this.refuseWith("upstream.unavailable");
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
      request.bytes().then(
        (bodyBytes) => this.guarded({ ...plan, bodyBytes }),
        // The client disconnected or broke off its body; nobody is left to answer.
        () => this.refuseWith("request.aborted"),
      );
      return;
    }
    this.tryTarget(plan);
  }

  answer(response: Response, lengthField?: number | null): void {
    if (this.answered) return;
    this.answered = true;
    this.resolve(response);
    this.hooks.onHead?.(response, lengthField);
  }

  /** An attempt failed before any response: retry or answer with a problem response. */
  refuse(error: unknown): void {
    const ctx = this.ctx;
    const plan = this.plan!;
    const failure = error instanceof UpstreamError ? error : unexpectedFailure(error);
    ctx.upstreamError = failure.category;
    if (this.attempt > 0) return this.refuseWith(failure.code);

    if (failure.nothingSent) {
      const next = plan.upstream.pick(plan.target);
      if (!next) return this.refuseWith(failure.code);
      return this.retry({ ...plan, target: next });
    }
    if (failure.staleConnection && !plan.shape.present && retryableMethods.has(ctx.method)) {
      return this.retry({ ...plan, fresh: true });
    }
    this.refuseWith(failure.code);
  }

  /** Runs once per exchange, also after the response was returned (a body cut mid-stream). */
  settled(error: UpstreamError | null, responded: boolean): void {
    const { ctx } = this;
    const { upstream, target } = this.plan!;
    if (error === null) {
      ctx.upstreamError = null;
      upstream.reportSuccess(target);
    } else {
      ctx.upstreamError = error.category;
      if (error.blamesTarget && !error.staleConnection) upstream.reportFailure(target);
    }
    if (responded) this.hooks.onDone?.();
  }

  /** An exception of our own on the way: the caller's internal-error answer, or a rejection. */
  unexpected(error: unknown): void {
    if (this.answered) return;
    const onError = this.hooks.onError;
    if (!onError) {
      this.answered = true;
      return this.reject(error);
    }
    this.answer(onError(error));
  }

  private retry(plan: Attempt): void {
    this.attempt++;
    this.tryTarget(plan);
  }

  private guarded(plan: Attempt): void {
    try {
      this.tryTarget(plan);
    } catch (error) {
      this.unexpected(error);
    }
  }

  private tryTarget(plan: Attempt): void {
    this.plan = plan;
    this.ctx.upstreamTarget = plan.target.origin;
    attemptOnce(this.ctx, plan, this);
  }

  private refuseWith(code: ErrorCode): void {
    const ctx = this.ctx;
    ctx.reason ??= code;
    const headers = ctx.responseHeaders ?? undefined;
    const response = problemResponse(code, ctx.requestId, { headers });
    this.answer(response);
    this.hooks.onDone?.();
  }
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

function unexpectedFailure(error: unknown): UpstreamError {
  return new UpstreamError("protocol", error instanceof Error ? error.message : String(error));
}
