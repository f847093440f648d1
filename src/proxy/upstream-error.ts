import type { ErrorCode } from "../errors.ts";

/**
 * Why an exchange with an upstream failed. The first five are the categories the access record
 * and `ctx.upstreamError` carry; the rest are outcomes that are not the upstream's fault.
 */
export type UpstreamFailure =
  | "refused"
  | "connect_timeout"
  | "timeout"
  | "dns"
  | "protocol"
  | "reset"
  | "body_too_large"
  | "client_body"
  | "aborted";

/** The category written to `ctx.upstreamError` and the access log. */
const categoryOf: Record<UpstreamFailure, string> = {
  refused: "refused",
  connect_timeout: "timeout",
  timeout: "timeout",
  dns: "dns",
  protocol: "protocol",
  reset: "reset",
  body_too_large: "body_too_large",
  client_body: "client_body",
  aborted: "aborted",
};

/** The public code the client sees: connect problems are 502, a silent upstream is 504. */
const codeOf: Record<UpstreamFailure, ErrorCode> = {
  refused: "upstream.refused",
  connect_timeout: "upstream.connect_timeout",
  timeout: "upstream.timeout",
  dns: "upstream.dns",
  protocol: "upstream.protocol",
  reset: "upstream.reset",
  body_too_large: "request.body_too_large",
  client_body: "request.malformed",
  aborted: "request.aborted",
};

/**
 * A failed exchange. `message` is for operators only (it may name a library error); clients
 * get the code's title. `nothingSent` means no request byte reached the upstream, so trying
 * another target cannot duplicate the request. `staleConnection` means a kept-alive connection
 * closed before any response byte: the upstream most likely dropped it while idle.
 */
export class UpstreamError extends Error {
  constructor(
    readonly failure: UpstreamFailure,
    message: string,
    readonly nothingSent = false,
    readonly staleConnection = false,
  ) {
    super(message);
    this.name = "UpstreamError";
  }

  get category(): string {
    return categoryOf[this.failure];
  }

  get code(): ErrorCode {
    return codeOf[this.failure];
  }

  /** Counts against the target's passive health (the target misbehaved, not the client). */
  get blamesTarget(): boolean {
    return this.failure !== "body_too_large" && this.failure !== "client_body" &&
      this.failure !== "aborted";
  }
}

/** Maps a socket-level error (Bun.connect, socket close) to a failure category. */
export function classifySocketError(error: unknown, connecting: boolean): UpstreamError {
  const code = (error as { code?: unknown } | null)?.code;
  const text = error instanceof Error ? error.message : String(error);
  if (code === "ECONNREFUSED") return new UpstreamError("refused", text, true);
  if (code === "ENOTFOUND" || code === "EAI_AGAIN" || code === "EAI_NONAME") {
    return new UpstreamError("dns", text, true);
  }
  if (code === "ETIMEDOUT") return new UpstreamError("connect_timeout", text, connecting);
  // Unreachable hosts and any other connect failure: nothing was sent, the target is at fault.
  if (connecting) return new UpstreamError("refused", text, true);
  return new UpstreamError("reset", text);
}
