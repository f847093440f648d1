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

/** tchar (RFC 9110 §5.6.2), indexed by char code; table lookups beat a regex per field. */
const tchar = new Uint8Array(128);
for (const c of "!#$%&'*+-.^_`|~0123456789") tchar[c.charCodeAt(0)] = 1;
for (let c = 65; c <= 90; c++) tchar[c] = tchar[c + 32] = 1;

/**
 * Parses a response head (status line and fields, without the final empty line). Anything
 * outside RFC 9112's grammar is a protocol error: a lenient parser here is how a proxy and an
 * upstream come to disagree about where a message ends.
 */
export function parseResponseHead(text: string, requestMethod: string): ResponseHead {
  // Walks the lines by index: splitting the head into an array of lines costs more than the
  // checks themselves for the few fields a typical response has.
  let lineEnd = text.indexOf("\r\n");
  if (lineEnd === -1) lineEnd = text.length;
  const status = statusOf(text, lineEnd);
  if (status === -1) throw new UpstreamError("protocol", "invalid status line");
  const minorVersion = text.charCodeAt(7) === 0x31 ? 1 : 0;

  const fields: [string, string][] = [];
  let connection = "";
  let transferEncoding: string | null = null;
  let contentLength: string | null = null;
  while (lineEnd < text.length) {
    const start = lineEnd + 2;
    lineEnd = text.indexOf("\r\n", start);
    if (lineEnd === -1) lineEnd = text.length;
    const colon = text.indexOf(":", start);
    // obs-fold (a line starting with whitespace) fails the token test (RFC 9112 §5.2).
    if (colon <= start || colon > lineEnd) {
      throw new UpstreamError("protocol", "invalid header line");
    }
    if (!isToken(text, start, colon)) throw new UpstreamError("protocol", "invalid header name");
    const value = fieldValue(text, colon + 1, lineEnd);
    if (hasForbidden(value)) throw new UpstreamError("protocol", "invalid header value");

    const lower = lowerName(text.slice(start, colon));
    if (lower === "connection") connection += "," + value.toLowerCase();
    else if (lower === "transfer-encoding") {
      transferEncoding = transferEncoding === null ? value : `${transferEncoding},${value}`;
    } else if (lower === "content-length") {
      contentLength = contentLength === null ? value : `${contentLength},${value}`;
    } else if (!isResponseHopByHop(lower)) fields.push([lower, value]);
  }

  const framing = framingOf(status, requestMethod, transferEncoding, contentLength);
  const declared = contentLength === null ? -1 : parseLength(contentLength);
  return {
    status,
    minorVersion,
    headers: connection === "" ? fields : withoutNominated(fields, connection),
    framing,
    contentLength: framing === "length" ? declared : -1,
    keepAlive: keepAliveOf(minorVersion, connection, framing, transferEncoding, contentLength),
    declaredLength: contentLength === null ? null : String(declared),
  };
}

/**
 * The status code of `HTTP/1.x NNN[ reason]` (RFC 9112 §4: minor version 0 or 1, code 100–599,
 * a reason phrase without CR or LF), or -1. Checked by index: a regex per response measured as
 * one of the larger items of the proxy's per-request CPU.
 */
function statusOf(text: string, lineEnd: number): number {
  if (lineEnd < 12 || !text.startsWith("HTTP/1.")) return -1;
  const minor = text.charCodeAt(7);
  if ((minor !== 0x30 && minor !== 0x31) || text.charCodeAt(8) !== 0x20) return -1;
  const hundreds = text.charCodeAt(9) - 0x30;
  const tens = text.charCodeAt(10) - 0x30;
  const ones = text.charCodeAt(11) - 0x30;
  if (hundreds < 1 || hundreds > 5 || !isDigit(tens) || !isDigit(ones)) return -1;
  if (lineEnd > 12) {
    if (text.charCodeAt(12) !== 0x20) return -1;
    for (let i = 13; i < lineEnd; i++) {
      const code = text.charCodeAt(i);
      if (code === 0x0d || code === 0x0a) return -1;
    }
  }
  return hundreds * 100 + tens * 10 + ones;
}

function isDigit(value: number): boolean {
  return value >= 0 && value <= 9;
}

/**
 * Lower-cased field names seen before: upstreams send the same few names on every response,
 * and toLowerCase costs more than a map lookup. Bounded, so odd names cannot grow it.
 */
const lowerNames = new Map<string, string>();
const lowerNamesMax = 512;

function lowerName(name: string): string {
  const known = lowerNames.get(name);
  if (known !== undefined) return known;
  const lower = name.toLowerCase();
  if (lowerNames.size < lowerNamesMax) lowerNames.set(name, lower);
  return lower;
}

/**
 * The value without surrounding whitespace, as String#trim gives it: the usual spaces and tabs
 * are skipped by index (one slice instead of two strings); anything else at an edge goes
 * through trim itself.
 */
function fieldValue(text: string, from: number, to: number): string {
  let start = from;
  let end = to;
  while (start < end && isBlank(text.charCodeAt(start))) start++;
  while (end > start && isBlank(text.charCodeAt(end - 1))) end--;
  const value = text.slice(start, end);
  if (value.length === 0) return value;
  const first = value.charCodeAt(0);
  const last = value.charCodeAt(value.length - 1);
  return first > 0x20 && first < 0x7f && last > 0x20 && last < 0x7f ? value : value.trim();
}

function isBlank(code: number): boolean {
  return code === 0x20 || code === 0x09;
}

function isToken(text: string, from: number, to: number): boolean {
  for (let i = from; i < to; i++) {
    const code = text.charCodeAt(i);
    if (code >= 128 || tchar[code] === 0) return false;
  }
  return true;
}

/** Control characters other than HTAB never belong in a field value (RFC 9110 §5.5). */
function hasForbidden(value: string): boolean {
  for (let i = 0; i < value.length; i++) {
    const code = value.charCodeAt(i);
    if ((code < 0x20 && code !== 0x09) || code === 0x7f) return true;
  }
  return false;
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
  // The usual single plain number, checked by index; anything else takes the general path.
  if (value.length <= 15 && isDigits(value)) return Number(value);
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

function isDigits(value: string): boolean {
  if (value.length === 0) return false;
  for (let i = 0; i < value.length; i++) if (!isDigit(value.charCodeAt(i) - 0x30)) return false;
  return true;
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
