import type { Socket, TCPSocketListener } from "bun";

/** One request exactly as the upstream received it. */
export interface UpstreamRecord {
  readonly requestLine: string;
  readonly method: string;
  /** The request-target, byte for byte (latin-1). */
  readonly target: string;
  /** Header fields in arrival order with their original case; duplicates kept. */
  readonly headers: ReadonlyArray<readonly [string, string]>;
  /** The raw head bytes (request line and headers) as latin-1. */
  readonly rawHead: string;
  /** The body after de-chunking. */
  body: Uint8Array;
  chunked: boolean;
  readonly connectionId: number;
  readonly receivedAt: number;
  firstBodyByteAt: number | null;
  lastBodyByteAt: number | null;
  /** False while the body is still arriving (or if the connection died before it ended). */
  complete: boolean;
}

/** Looks a header up case-insensitively; all values in arrival order. */
export function headerValues(record: UpstreamRecord, name: string): string[] {
  const lower = name.toLowerCase();
  return record.headers.filter(([n]) => n.toLowerCase() === lower).map(([, v]) => v);
}

export interface UpstreamOptions {
  /**
   * Answers a complete request. Return raw response bytes (latin-1 string or bytes), undefined
   * for the default 200 JSON echo, or null when the script writes (or withholds) the answer
   * itself through `socket`.
   */
  respond?: (
    record: UpstreamRecord,
    socket: Socket<ConnectionState>,
  ) => string | Uint8Array | null | undefined | void;
  /** Called as soon as the head is parsed, before the body (scripted early answers). */
  onHead?: (record: UpstreamRecord, socket: Socket<ConnectionState>) => void;
}

export interface RecordingUpstream {
  readonly port: number;
  readonly url: string;
  readonly records: UpstreamRecord[];
  /** TCP connections accepted so far. */
  connections(): number;
  stop(): void;
}

interface ConnectionState {
  id: number;
  buffer: Buffer;
  current: UpstreamRecord | null;
  remaining: number;
  chunkedState: "size" | "data" | "data-crlf" | "trailers" | null;
  parts: Buffer[];
}

/**
 * A raw-TCP HTTP/1.1 server that records every request as received (order, case, duplicates,
 * body bytes, connection) and by default answers 200 with a small JSON echo. Keep-alive is
 * honoured so connection reuse by the gateway is visible in `connectionId`.
 */
export async function startUpstream(options: UpstreamOptions = {}): Promise<RecordingUpstream> {
  const records: UpstreamRecord[] = [];
  let nextId = 0;

  const listener: TCPSocketListener<ConnectionState> = Bun.listen<ConnectionState>({
    hostname: "127.0.0.1",
    port: 0,
    socket: {
      open(socket) {
        socket.data = { id: ++nextId, buffer: Buffer.alloc(0), current: null, remaining: 0, chunkedState: null, parts: [] };
      },
      data(socket, chunk) {
        const state = socket.data;
        state.buffer = Buffer.concat([state.buffer, Buffer.from(chunk)]);
        pump(socket, state, records, options);
      },
      error() {},
      close() {},
    },
  });

  return {
    port: listener.port,
    url: `http://127.0.0.1:${listener.port}`,
    records,
    connections: () => nextId,
    stop: () => listener.stop(true),
  };
}

function pump(
  socket: Socket<ConnectionState>,
  state: ConnectionState,
  records: UpstreamRecord[],
  options: UpstreamOptions,
) {
  for (;;) {
    if (!state.current) {
      const end = state.buffer.indexOf("\r\n\r\n");
      if (end === -1) return;
      const rawHead = state.buffer.subarray(0, end).toString("latin1");
      state.buffer = state.buffer.subarray(end + 4);
      const record = parseHead(rawHead, state.id);
      records.push(record);
      state.current = record;
      state.parts = [];
      const te = headerValue(record, "transfer-encoding");
      state.chunkedState = te && /chunked/i.test(te) ? "size" : null;
      record.chunked = state.chunkedState !== null;
      state.remaining = state.chunkedState ? 0 : Number(headerValue(record, "content-length") ?? 0);
      if (/100-continue/i.test(headerValue(record, "expect") ?? "")) {
        socket.write("HTTP/1.1 100 Continue\r\n\r\n");
      }
      options.onHead?.(record, socket);
    }
    if (!readBody(state)) return;
    const record = state.current!;
    record.body = new Uint8Array(Buffer.concat(state.parts));
    record.complete = true;
    state.current = null;
    const scripted = options.respond?.(record, socket);
    const answer = scripted === undefined ? defaultAnswer(record) : scripted;
    if (answer !== null) {
      socket.write(typeof answer === "string" ? Buffer.from(answer, "latin1") : answer);
    }
  }
}

/** Consumes body bytes from the buffer; true once the whole body is in. */
function readBody(state: ConnectionState): boolean {
  const record = state.current!;
  const take = (n: number) => {
    if (n > 0) {
      record.firstBodyByteAt ??= Date.now();
      record.lastBodyByteAt = Date.now();
    }
    const part = state.buffer.subarray(0, n);
    state.buffer = state.buffer.subarray(n);
    return part;
  };
  if (!state.chunkedState) {
    const part = take(Math.min(state.remaining, state.buffer.length));
    state.parts.push(Buffer.from(part));
    state.remaining -= part.length;
    return state.remaining === 0;
  }
  for (;;) {
    if (state.chunkedState === "size") {
      const lineEnd = state.buffer.indexOf("\r\n");
      if (lineEnd === -1) return false;
      const size = parseInt(state.buffer.subarray(0, lineEnd).toString("latin1"), 16);
      state.buffer = state.buffer.subarray(lineEnd + 2);
      state.remaining = size;
      state.chunkedState = size === 0 ? "trailers" : "data";
    } else if (state.chunkedState === "data") {
      const part = take(Math.min(state.remaining, state.buffer.length));
      state.parts.push(Buffer.from(part));
      state.remaining -= part.length;
      if (state.remaining > 0) return false;
      state.chunkedState = "data-crlf";
    } else if (state.chunkedState === "data-crlf") {
      if (state.buffer.length < 2) return false;
      state.buffer = state.buffer.subarray(2);
      state.chunkedState = "size";
    } else {
      const lineEnd = state.buffer.indexOf("\r\n");
      if (lineEnd === -1) return false;
      state.buffer = state.buffer.subarray(lineEnd + 2);
      if (lineEnd === 0) return true;
    }
  }
}

function parseHead(rawHead: string, connectionId: number): UpstreamRecord {
  const [requestLine = "", ...lines] = rawHead.split("\r\n");
  const [method = "", target = ""] = requestLine.split(" ");
  const headers = lines.map((line) => {
    const colon = line.indexOf(":");
    return [line.slice(0, colon), line.slice(colon + 1).trim()] as const;
  });
  return {
    requestLine,
    method,
    target,
    headers,
    rawHead,
    body: new Uint8Array(0),
    chunked: false,
    connectionId,
    receivedAt: Date.now(),
    firstBodyByteAt: null,
    lastBodyByteAt: null,
    complete: false,
  };
}

function headerValue(record: UpstreamRecord, name: string): string | undefined {
  return headerValues(record, name)[0];
}

function defaultAnswer(record: UpstreamRecord): string {
  const body = JSON.stringify({ ok: true, method: record.method, target: record.target });
  const head = record.method === "HEAD" ? "" : body;
  return (
    "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n" +
    `Content-Length: ${Buffer.byteLength(body)}\r\n\r\n${head}`
  );
}
