/**
 * Finds where one HTTP/1.1 response ends in a byte stream (RFC 9112 §6.3): by Content-Length,
 * by chunked framing, or by connection close. The load generator needs only the status and the
 * end of each response, so bodies are skipped, never copied out.
 */

export interface ResponseEnd {
  readonly status: number;
  /** The server asked to close (RFC 9112 §9.6) or framed the body by closing. */
  readonly close: boolean;
}

export interface ResponseParser {
  /** Feeds received bytes; returns the finished response, or null while more is needed. */
  feed(chunk: Uint8Array): ResponseEnd | null;
  /** True when the body is delimited by the close the connection is about to see. */
  readonly waitsForClose: boolean;
  reset(): void;
}

const headEnd = Buffer.from("\r\n\r\n");
const contentLengthPattern = /\r\ncontent-length:[ \t]*(\d+)/i;
const chunkedPattern = /\r\ntransfer-encoding:[^\r]*chunked/i;
const closePattern = /\r\nconnection:[^\r]*close/i;

/** A Buffer over the same memory (Bun hands sockets' data over as Buffers already). */
function view(chunk: Uint8Array): Buffer {
  return Buffer.isBuffer(chunk) ? chunk : Buffer.from(chunk.buffer, chunk.byteOffset, chunk.length);
}

export function createResponseParser(): ResponseParser {
  let pending: Buffer | null = null;
  let phase: "head" | "length" | "chunked" | "until-close" = "head";
  let remaining = 0;
  let status = 0;
  let close = false;

  const finish = (): ResponseEnd => {
    const end = { status, close };
    parser.reset();
    return end;
  };

  const parseHead = (bytes: Buffer): ResponseEnd | null => {
    const at = bytes.indexOf(headEnd);
    if (at === -1) {
      pending = Buffer.from(bytes);
      return null;
    }
    const head = bytes.toString("latin1", 0, at);
    const rest = bytes.subarray(at + headEnd.length);
    pending = null;
    status = Number(head.slice(9, 12));
    close = closePattern.test(head);

    // RFC 9112 §6.3: 1xx, 204 and 304 responses never carry a body.
    if (status === 204 || status === 304) return finish();
    if (chunkedPattern.test(head)) {
      phase = "chunked";
      return rest.length > 0 ? parseChunked(rest) : null;
    }
    const length = contentLengthPattern.exec(head);
    if (!length) {
      phase = "until-close";
      close = true;
      return null;
    }
    phase = "length";
    remaining = Number(length[1]) - rest.length;
    return remaining <= 0 ? finish() : null;
  };

  // Bodies in this benchmark are small, so rescanning the buffered chunked body from its start
  // on each arrival is simpler than a byte-level state machine and just as fast.
  const parseChunked = (chunk: Uint8Array): ResponseEnd | null => {
    const bytes = pending ? Buffer.concat([pending, chunk]) : view(chunk);
    let at = 0;
    for (;;) {
      const lineEnd = bytes.indexOf("\r\n", at);
      if (lineEnd === -1) break;
      const size = Number.parseInt(bytes.toString("latin1", at, lineEnd), 16);
      if (Number.isNaN(size)) {
        close = true;
        return finish();
      }
      if (size === 0) {
        const trailersEnd = bytes.indexOf("\r\n", lineEnd + 2);
        if (trailersEnd === -1) break;
        if (trailersEnd === lineEnd + 2 || bytes.indexOf(headEnd, lineEnd) !== -1) return finish();
        break;
      }
      const next = lineEnd + 2 + size + 2;
      if (next > bytes.length) break;
      at = next;
    }
    pending = Buffer.from(bytes);
    return null;
  };

  const parser: ResponseParser = {
    feed(chunk) {
      if (phase === "head") {
        return parseHead(pending ? Buffer.concat([pending, chunk]) : view(chunk));
      }
      if (phase === "length") {
        remaining -= chunk.length;
        return remaining <= 0 ? finish() : null;
      }
      if (phase === "chunked") return parseChunked(chunk);
      return null;
    },
    get waitsForClose() {
      return phase === "until-close";
    },
    reset() {
      pending = null;
      phase = "head";
      remaining = 0;
    },
  };
  return parser;
}
