import type { Server } from "bun";
import type { ErrorCode } from "../errors.ts";
import { runChecks, runChecksTimed } from "../pipeline/run.ts";
import type { Denial } from "../pipeline/verdict.ts";
import { forwardRequest, type ForwardHooks } from "../proxy/forward.ts";
import { canonicalizePath } from "../routing/canonical-path.ts";
import { upstreamPathFor } from "../routing/upstream-path.ts";
import { resolveClientAddress } from "./client-address.ts";
import type { RequestContext } from "./context.ts";
import type { Generation } from "./generation.ts";
import { auditAdmits, recordOutcome } from "./outcome.ts";
import { requestIdFor } from "./request-id.ts";
import { problemResponse } from "./respond.ts";
import type { Services } from "./services.ts";

/** What the request path needs from the running gateway; read once per request. */
export interface GatewayState {
  readonly current: Generation;
  readonly draining: boolean;
  readonly services: Services;
}

/**
 * The request path, top to bottom: canonical path, route, checks in stage order, audit
 * admission, forward. Each step that refuses returns a problem response and one audit record.
 */
export function handleRequest(
  state: GatewayState,
  request: Request,
  server: Server<unknown>,
): Response | Promise<Response> {
  const generation = state.current;
  const ctx = createContext(generation, request, server);

  if (state.draining) return refuse(state, ctx, "gateway.shutting_down", "gateway.draining");
  if (ctx.host === "") return refuse(state, ctx, "request.malformed", "request.bad_host");
  if (request.headers.count > generation.config.listen.maxHeaderCount) {
    return refuse(state, ctx, "request.header_too_large", "request.too_many_headers");
  }

  for (const builtin of generation.builtins) {
    const answer = builtin(request, ctx);
    if (answer === null) continue;
    if (answer instanceof Promise) return answer.then((r) => finishBuiltin(state, ctx, r));
    return finishBuiltin(state, ctx, answer);
  }

  const canonical = canonicalizePath(ctx.path, generation.config.paths);
  if (!canonical.ok) return refuse(state, ctx, canonical.code, canonical.code);
  (ctx as { path: string }).path = canonical.path;

  const { router } = generation;
  const match = router.match(ctx.method, ctx.host, canonical.path, canonical.mergedAt);
  if ("miss" in match) {
    // RFC 9110 §15.5.6: a 405 names the methods the resource does support.
    if (match.allow) (ctx.responseHeaders ??= {}).allow = match.allow;
    return refuse(state, ctx, match.miss, match.miss);
  }
  const route = generation.routes[match.index]!;
  ctx.route = route;
  ctx.params = match.params;
  // Encoded separators stay encoded; only routes that opted in may receive them (RFC 3986 §2.2).
  if ((canonical.encoded & ~generation.allowedEncoded[match.index]!) !== 0) {
    return refuse(state, ctx, "path.encoded_separator", "path.encoded_separator");
  }

  const metrics = state.services.metrics;
  const denial = metrics.sampleChecks()
    ? runChecksTimed(route.checks, route.checkIds, ctx, metrics.observeCheck)
    : runChecks(route.checks, ctx);
  if (denial instanceof Promise) {
    return denial.then(
      (d) => afterChecks(state, ctx, d),
      (error) => internalError(state, ctx, error),
    );
  }
  return afterChecks(state, ctx, denial);
}

function afterChecks(
  state: GatewayState,
  ctx: RequestContext,
  denial: Denial | null,
): Response | Promise<Response> {
  if (denial) return refuseWith(state, ctx, denial);
  if (!auditAdmits(state.services)) {
    return refuse(state, ctx, "audit.unavailable", "audit.unavailable");
  }

  const route = ctx.route!;
  const upstreamPath = upstreamPathFor(route.config, ctx.path, ctx.params);
  return forwardRequest(ctx, upstreamPath, new Completion(state, ctx));
}

/**
 * Writes the record once both are known: the response head (status, headers) and the end of
 * its body, so a body cut off mid-stream is recorded as an upstream error, not a success.
 * `onDone` may run before or after `onHead`. Methods on one object rather than closures: this
 * runs for every forwarded request.
 */
class Completion implements ForwardHooks {
  private head: Response | null = null;
  private lengthField: number | null | undefined = undefined;
  private bodyDone = false;
  private recorded = false;

  constructor(
    private readonly state: GatewayState,
    private readonly ctx: RequestContext,
  ) {}

  onHead(response: Response, lengthField?: number | null): void {
    this.head = response;
    this.lengthField = lengthField;
    this.record();
  }

  onDone(): void {
    this.bodyDone = true;
    this.record();
  }

  onError(error: unknown): Response {
    this.recorded = true;
    return internalError(this.state, this.ctx, error);
  }

  private record(): void {
    if (!this.head || !this.bodyDone || this.recorded) return;
    this.recorded = true;
    const { state, ctx } = this;
    const decision = ctx.upstreamError ? "error" : "allow";
    const logAccess = state.current.config.log.access;
    recordOutcome(state.services, ctx, this.head, decision, logAccess, this.lengthField);
  }
}

/** The gateway answered itself (token endpoint): one audit record like any other decision. */
function finishBuiltin(state: GatewayState, ctx: RequestContext, response: Response) {
  response.headers.set("x-request-id", ctx.requestId);
  const decision = response.status < 400 ? "allow" : "deny";
  recordOutcome(state.services, ctx, response, decision, state.current.config.log.access);
  return response;
}

function refuse(state: GatewayState, ctx: RequestContext, code: ErrorCode, reason: string) {
  // The gateway itself decided here (audit full, draining, bad path): that is the reason.
  ctx.reason = reason;
  const response = problemResponse(code, ctx.requestId, { headers: ctx.responseHeaders ?? {} });
  recordOutcome(state.services, ctx, response, "deny", state.current.config.log.access);
  return response;
}

function refuseWith(state: GatewayState, ctx: RequestContext, denial: Denial) {
  ctx.reason = denial.reason;
  if (denial.ruleId) ctx.ruleId = denial.ruleId;
  const response = problemResponse(denial.code, ctx.requestId, {
    detail: denial.detail,
    headers: { ...ctx.responseHeaders, ...denial.headers },
  });
  recordOutcome(state.services, ctx, response, "deny", state.current.config.log.access);
  return response;
}

/** Our own fault: logged with the error, answered without it (no stack trace to clients). */
function internalError(state: GatewayState, ctx: RequestContext, error: unknown) {
  state.services.logger.error({ err: error, requestId: ctx.requestId }, "request failed");
  return refuse(state, ctx, "internal", "internal");
}

function createContext(generation: Generation, request: Request, server: Server<unknown>) {
  const url = request.url;
  // Bun gives an absolute URL, or only the path when the Host header was unusable.
  const pathStart = url.charCodeAt(0) === 47 ? 0 : url.indexOf("/", url.indexOf("//") + 2);
  const hashAt = url.indexOf("#", pathStart);
  const end = hashAt === -1 ? url.length : hashAt;
  const queryAt = url.indexOf("?", pathStart);
  const pathEnd = queryAt === -1 || queryAt > end ? end : queryAt;
  const peer = server.requestIP(request)?.address ?? "unknown";
  const forwardedFor = request.headers.get("x-forwarded-for");

  const ctx: RequestContext = {
    requestId: requestIdFor(request.headers.get("x-request-id")),
    request,
    method: request.method,
    host: hostOf(request.headers.get("host")),
    path: pathStart === -1 ? "/" : url.slice(pathStart, pathEnd),
    query: pathEnd < end ? url.slice(pathEnd, end) : "",
    peerAddress: peer,
    clientAddress: resolveClientAddress(peer, forwardedFor, generation.trustedProxies),
    startedAt: performance.now(),
    receivedAtMs: Date.now(),
    route: null,
    params: null,
    identity: null,
    responseHeaders: null,
    ruleId: null,
    reason: null,
    limitOutcome: null,
    reportOnly: null,
    upstreamTarget: null,
    upstreamError: null,
  };
  return ctx;
}

/** A DNS name (one trailing dot allowed) or an IP literal, with an optional port. */
const validHost = /^(?:[a-z0-9_-]+(?:\.[a-z0-9_-]+)*\.?|\[[0-9a-f:.]+\])(?::\d{1,5})?$/;

/**
 * Lower-cased host without port or trailing dot; `[::1]:8080` keeps its brackets. Returns ""
 * for a missing, repeated (Bun joins them with ", ") or malformed Host, which the request path
 * refuses: RFC 9112 §3.2 requires 400 for those, and routing on such a value could pick a route
 * the client did not name.
 */
function hostOf(header: string | null): string {
  if (!header) return "";
  // Clients send the same few Host values; the last answer is kept (a pure function of it).
  if (header === lastHostHeader) return lastHost;
  const host = parseHost(header);
  lastHostHeader = header;
  lastHost = host;
  return host;
}

let lastHostHeader = "";
let lastHost = "";

function parseHost(header: string): string {
  const host = header.toLowerCase();
  if (!validHost.test(host)) return "";
  if (host.startsWith("[")) return host.slice(0, host.indexOf("]") + 1);
  const colon = host.lastIndexOf(":");
  const name = colon === -1 ? host : host.slice(0, colon);
  return name.endsWith(".") ? name.slice(0, -1) : name;
}
