import { connect, type Socket } from "node:net";

export interface RawResponse {
  /** Everything the server sent, as latin-1. */
  readonly text: string;
  /** Status of the first final (non-1xx) response, or 0 when none arrived. */
  readonly status: number;
  /** Headers of that response, names lower-cased, duplicates kept in order. */
  readonly headers: ReadonlyArray<readonly [string, string]>;
  /** Raw bytes after that response's head (may hold more responses on keep-alive). */
  readonly body: string;
  /** The server closed the connection before readMs ran out. */
  readonly closed: boolean;
  /** Status codes of every response head seen, interim ones included, in order. */
  readonly statuses: number[];
}

export interface RawOptions {
  /** How long to keep reading after sending (unless the server closes first). */
  readonly readMs?: number;
  /** Bind the client socket to this local address (e.g. 127.0.0.2). */
  readonly localAddress?: string;
  /** Stop as soon as a complete response with a Content-Length arrived. */
  readonly untilComplete?: boolean;
  /**
   * Write the request in slices of this many bytes, `writeGapMs` apart, and stop writing once
   * the server answered. A server that refuses a large body and closes while unread bytes are
   * still queued sends a TCP reset, which can discard its answer before the client reads it;
   * pacing keeps the client reading while it writes, as a real client does.
   */
  readonly writeSliceBytes?: number;
  readonly writeGapMs?: number;
}

/**
 * Writes bytes verbatim (latin-1: each code unit < 256 is one byte) to a fresh TCP connection
 * and returns what came back. Nothing is added: no Host, no Content-Length, no normalisation.
 */
export function sendRaw(port: number, request: string, options: RawOptions = {}): Promise<RawResponse> {
  const readMs = options.readMs ?? 2_000;
  return new Promise((resolve) => {
    const chunks: Buffer[] = [];
    let closed = false;
    let finished = false;
    const socket = connect({ host: "127.0.0.1", port, localAddress: options.localAddress });
    const finish = () => {
      if (finished) return;
      finished = true;
      clearTimeout(timer);
      socket.destroy();
      resolve(parseRaw(Buffer.concat(chunks).toString("latin1"), closed));
    };
    const timer = setTimeout(finish, readMs);
    socket.on("connect", () => {
      const bytes = Buffer.from(request, "latin1");
      if (!options.writeSliceBytes) return socket.write(bytes);
      void writePaced(socket, bytes, options.writeSliceBytes, options.writeGapMs ?? 1, () =>
        chunks.length > 0 || finished);
    });
    socket.on("data", (chunk: Buffer) => {
      chunks.push(chunk);
      if (options.untilComplete && isComplete(Buffer.concat(chunks).toString("latin1"))) finish();
    });
    socket.on("error", () => {});
    socket.on("close", () => {
      closed = true;
      finish();
    });
  });
}

async function writePaced(
  socket: Socket,
  bytes: Buffer,
  sliceBytes: number,
  gapMs: number,
  answered: () => boolean,
) {
  for (let offset = 0; offset < bytes.length && !answered(); offset += sliceBytes) {
    if (socket.destroyed) return;
    socket.write(bytes.subarray(offset, offset + sliceBytes));
    await Bun.sleep(gapMs);
  }
}

export function parseRaw(text: string, closed: boolean): RawResponse {
  const statuses: number[] = [];
  let rest = text;
  for (;;) {
    const end = rest.indexOf("\r\n\r\n");
    if (end === -1) return { text, status: 0, headers: [], body: "", closed, statuses };
    const [statusLine = "", ...lines] = rest.slice(0, end).split("\r\n");
    const status = Number(statusLine.split(" ")[1] ?? 0);
    statuses.push(status);
    rest = rest.slice(end + 4);
    if (status >= 200 || status === 101) {
      const headers = lines.map((line) => {
        const colon = line.indexOf(":");
        return [line.slice(0, colon).toLowerCase(), line.slice(colon + 1).trim()] as const;
      });
      return { text, status, headers, body: rest, closed, statuses };
    }
  }
}

function isComplete(text: string): boolean {
  const parsed = parseRaw(text, false);
  if (parsed.status === 0) return false;
  const length = parsed.headers.find(([name]) => name === "content-length");
  return length !== undefined && Buffer.byteLength(parsed.body, "latin1") >= Number(length[1]);
}

/** First value of a header in a raw response, or undefined. */
export function rawHeader(response: RawResponse, name: string): string | undefined {
  return response.headers.find(([n]) => n === name.toLowerCase())?.[1];
}
