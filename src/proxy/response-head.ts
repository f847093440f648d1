import { UpstreamError } from "./upstream-error.ts";
import { isResponseHopByHop } from "./headers.ts";

/** How the body of an upstream response is delimited (RFC 9112 §6.3). */
export type BodyFraming = "none" | "length" | "chunked" | "close";

export interface ResponseHead {
  readonly status: number;
  /** HTTP/1.0 responses keep the connection only when they say `keep-alive`. */
  readonly minorVersion: number;
  /** Header fields for the client: hop-by-hop and framing fields removed, order and duplicates
   *  (Set-Cookie) kept. */
  readonly headers: [string, string][];
  readonly framing: BodyFraming;
  /** The declared length for `length` framing, else -1. */
  readonly contentLength: number;
  /** Whether the connection may carry another request once this response is complete. */
  readonly keepAlive: boolean;
  /** The declared Content-Length, kept for responses without a body (HEAD, 304). */
  readonly declaredLength: string | null;
}

const statusLine = /^HTTP\/1\.([01]) ([1-5]\d\d)(?: [^\r\n]*)?$/;
const token = /^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/;
// Control characters other than HTAB never belong in a field value (RFC 9110 §5.5).
const forbiddenInValue = /[\0-\x08\x0a-\x1f\x7f]/;

/**
 * Parses a response head (status line and fields, without the final empty line). Anything
 * outside RFC 9112's grammar is a protocol error: a lenient parser here is how a proxy and an
 * upstream come to disagree about where a message ends.
 */
export function parseResponseHead(text: string, requestMethod: string): ResponseHead {
  const lines = text.split("\r\n");
  const match = statusLine.exec(lines[0]!);
  if (!match) throw new UpstreamError("protocol", "invalid status line");
  const minorVersion = Number(match[1]);
  const status = Number(match[2]);

  const fields: [string, string][] = [];
  let connection = "";
  let transferEncoding: string | null = null;
  let contentLength: string | null = null;
  for (let i = 1; i < lines.length; i++) {
    const line = lines[i]!;
    const colon = line.indexOf(":");
    // obs-fold (a line starting with whitespace) fails the token test (RFC 9112 §5.2).
    if (colon <= 0) throw new UpstreamError("protocol", "invalid header line");
    const name = line.slice(0, colon);
    if (!token.test(name)) throw new UpstreamError("protocol", "invalid header name");
    const value = line.slice(colon + 1).trim();
    if (forbiddenInValue.test(value)) throw new UpstreamError("protocol", "invalid header value");

    const lower = name.toLowerCase();
    if (lower === "connection") connection += "," + value.toLowerCase();
    else if (lower === "transfer-encoding") {
      transferEncoding = transferEncoding === null ? value : `${transferEncoding},${value}`;
    } else if (lower === "content-length") {
      contentLength = contentLength === null ? value : `${contentLength},${value}`;
    } else if (!isResponseHopByHop(lower)) fields.push([lower, value]);
  }

  const framing = framingOf(status, requestMethod, transferEncoding, contentLength);
  const length = framing === "length" ? parseLength(contentLength!) : -1;
  return {
    status,
    minorVersion,
    headers: connection === "" ? fields : withoutNominated(fields, connection),
    framing,
    contentLength: length,
    keepAlive: keepAliveOf(minorVersion, connection, framing, transferEncoding, contentLength),
    declaredLength: contentLength === null ? null : String(parseLength(contentLength)),
  };
}

/**
 * The Response handed to Bun.serve. For a message without a body (HEAD, 304) the upstream's
 * Content-Length is kept: Bun sends it as given, and HEAD must announce what GET would send.
 */
export function clientResponse(
  head: ResponseHead,
  body: ReadableStream<Uint8Array> | Uint8Array | null,
): Response {
  const headers = head.headers;
  if (head.framing !== "none") return new Response(body, { status: head.status, headers });
  if (head.declaredLength !== null && head.status !== 204) {
    headers.push(["content-length", head.declaredLength]);
  }
  return new Response(null, { status: head.status, headers });
}

/** RFC 9112 §6.3, in its order: no body, chunked, length, then read until close. */
function framingOf(
  status: number,
  method: string,
  transferEncoding: string | null,
  contentLength: string | null,
): BodyFraming {
  if (method === "HEAD" || status === 204 || status === 304 || status < 200) return "none";
  if (transferEncoding !== null) {
    const codings = transferEncoding.toLowerCase().split(",");
    // Only a final `chunked` delimits the body; otherwise it runs until the connection closes.
    return codings[codings.length - 1]!.trim() === "chunked" ? "chunked" : "close";
  }
  if (contentLength !== null) return "length";
  return "close";
}

/** One length, or a list of identical ones (RFC 9110 §8.6); anything else is an error. */
function parseLength(value: string): number {
  const parts = value.split(",");
  const first = parts[0]!.trim();
  if (!/^\d{1,15}$/.test(first)) throw new UpstreamError("protocol", "invalid Content-Length");
  for (let i = 1; i < parts.length; i++) {
    if (parts[i]!.trim() !== first) {
      throw new UpstreamError("protocol", "conflicting Content-Length");
    }
  }
  return Number(first);
}

function keepAliveOf(
  minorVersion: number,
  connection: string,
  framing: BodyFraming,
  transferEncoding: string | null,
  contentLength: string | null,
): boolean {
  if (framing === "close") return false;
  // A response with both framings was sent by something we should not trust twice (§6.3 ¶3).
  if (transferEncoding !== null && contentLength !== null) return false;
  if (connection === "") return minorVersion === 1;
  const tokens = connection.split(",").map((t) => t.trim());
  if (tokens.includes("close")) return false;
  return minorVersion === 1 || tokens.includes("keep-alive");
}

/** Drops the fields the upstream's Connection header names (RFC 9110 §7.6.1). */
function withoutNominated(fields: [string, string][], connection: string): [string, string][] {
  const named = new Set(connection.split(",").map((t) => t.trim()).filter((t) => t !== ""));
  return fields.filter(([name]) => !named.has(name));
}
