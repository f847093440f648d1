import { parseResponseHead, type ResponseHead } from "./response-head.ts";
import { UpstreamError } from "./upstream-error.ts";

const headEnd = Buffer.from("\r\n\r\n");

/** A final response head and the bytes that followed it in the same read. */
export interface HeadAndRest {
  readonly head: ResponseHead;
  readonly rest: Buffer;
}

/**
 * Collects an upstream response head across reads, up to `maxBytes` (a larger one is a
 * protocol error: the client gets 502 and none of it), and skips interim 1xx responses.
 */
export class HeadReader {
  private buffer: Buffer | null = null;

  constructor(
    private readonly method: string,
    private readonly maxBytes: number,
  ) {}

  /** The final head once complete, else null; throws UpstreamError("protocol"). */
  feed(chunk: Buffer): HeadAndRest | null {
    const previous = this.buffer;
    let buffer = previous ? Buffer.concat([previous, chunk]) : chunk;
    let end = buffer.indexOf(headEnd, previous ? Math.max(0, previous.length - 3) : 0);
    for (;;) {
      const limit = end === -1 ? buffer.length : end;
      if (limit > this.maxBytes) throw new UpstreamError("protocol", "response head too large");
      if (end === -1) {
        this.buffer = buffer.length > 0 ? buffer : null;
        return null;
      }
      const head = parseResponseHead(buffer.toString("latin1", 0, end), this.method);
      const rest = buffer.subarray(end + 4);
      if (head.status >= 200) {
        this.buffer = null;
        return { head, rest };
      }
      // We never ask for an upgrade (Upgrade is stripped), so a 101 is a broken upstream.
      if (head.status === 101) throw new UpstreamError("protocol", "unrequested 101 response");
      // Other 1xx responses (100, 103) are interim; the final response follows.
      buffer = rest;
      end = buffer.indexOf(headEnd);
    }
  }
}
