import { BodyDecoder } from "./body-decoder.ts";
import { BodyRelay, relayHighWaterMark } from "./body-relay.ts";
import type { ConnectionPool } from "./connection-pool.ts";
import { unwatchDeadline, watchDeadline, type Deadline } from "./head-deadlines.ts";
import type { ConnectionUser, Http1Connection } from "./http1-connection.ts";
import { sendRequestBody } from "./request-body.ts";
import { HeadReader } from "./head-reader.ts";
import { clientResponse } from "./client-response.ts";
import type { ResponseHead } from "./response-head.ts";
import { UpstreamError } from "./upstream-error.ts";

/** What one exchange sends. The head already carries its framing field and final CRLF. */
export interface OutboundRequest {
  readonly method: string;
  /** ASCII string, or latin-1 bytes when a field value holds bytes above 0x7F. */
  readonly head: string | Uint8Array;
  /** The body, when it was small enough to read first (one write with the head). */
  readonly bodyBytes: Uint8Array | null;
  /** A body to stream; `chunked` says whether it is sent with chunked framing. */
  readonly bodyStream: ReadableStream<Uint8Array> | null;
  readonly chunked: boolean;
  /** A streamed body longer than this fails the exchange with `body_too_large`. */
  readonly maxBodyBytes: number;
  readonly responseHeadersTimeoutMs: number;
  readonly maxResponseHeadBytes: number;
  /** The gateway's own response fields (flat name/value pairs, lower-case names), or null. */
  readonly responseFields: readonly string[] | null;
}

/**
 * Whoever waits for the exchange. Called directly rather than through a promise: each promise
 * on the request path is an allocation and a microtask hop per request.
 */
export interface ExchangeSink {
  /**
   * The client-facing Response (body complete, or streaming). At most once. `lengthField` is
   * the Content-Length field the Response carries (null: none), so nobody has to read its
   * Headers to learn it.
   */
  answer(response: Response, lengthField?: number | null): void;
  /** No Response was handed out; runs after `settled`, so a retry may start from here. */
  refuse(error: UpstreamError): void;
  /**
   * Told once how the exchange ended: null for a complete response, else the failure.
   * `responded` says whether the Response had already been handed out (a body cut mid-stream).
   */
  settled(error: UpstreamError | null, responded: boolean): void;
}

/** Bodies up to this size with a Content-Length are collected and sent with their length. */
export const bufferedResponseLimit = relayHighWaterMark;

const enum Phase {
  Head,
  Collect,
  Stream,
  Done,
}

/**
 * One request/response on one connection. Resolves with the client-facing Response as soon
 * as it can: at once for bodies already complete or small (Content-Length ≤ 64 KiB; Bun.serve
 * would re-frame a streamed body as chunked and drop that length), otherwise with a body
 * stream whose backpressure pauses the upstream socket.
 */
export class Exchange implements ConnectionUser, Deadline {
  private phase = Phase.Head;
  private readonly headReader: HeadReader;
  private head: ResponseHead | null = null;
  private decoder: BodyDecoder | null = null;
  private collected: Uint8Array[] = [];
  private relay: BodyRelay | null = null;
  private received = false;
  private requestSent = false;
  /** When the response head is overdue (performance.now()); see head-deadlines.ts. */
  deadline = 0;
  private drainWaiter: (() => void) | null = null;
  /** Bytes followed the end of the message: the connection cannot carry another one. */
  private excess = false;
  /** The client's abort signal still cancels the exchange (until the response is handed out). */
  private watchingClient = false;

  constructor(
    readonly connection: Http1Connection,
    private readonly request: OutboundRequest,
    private readonly sink: ExchangeSink,
    private readonly pool: ConnectionPool,
  ) {
    this.headReader = new HeadReader(request.method, request.maxResponseHeadBytes);
  }

  /**
   * Writes the request and starts the response-head deadline. Until the head arrives, an abort of
   * `signal` (the client left) cancels the exchange.
   */
  start(signal: AbortSignal | null): void {
    const { connection, request } = this;
    if (signal?.aborted) return this.abort();
    if (signal) {
      // The exchange itself is the listener (`handleEvent`): no closure per request, and it is
      // never removed (each removeEventListener is a native call); once the response is handed
      // out, `watchingClient` is cleared and a late abort event is ignored.
      this.watchingClient = true;
      signal.addEventListener("abort", this);
    }
    connection.user = this;
    connection.uses++;
    this.deadline = performance.now() + request.responseHeadersTimeoutMs;
    watchDeadline(this);

    if (!connection.write(request.head)) {
      const stale = connection.uses > 1;
      return this.fail(new UpstreamError("reset", "connection closed before sending", true, stale));
    }
    if (request.bodyBytes) connection.write(request.bodyBytes);
    if (request.bodyStream) void sendRequestBody(this, request);
    else this.requestSent = true;
  }

  /** Called by the body pump once the whole request is on its way. */
  requestComplete(): void {
    this.requestSent = true;
    if (this.phase === Phase.Done) this.finishConnection();
  }

  get finished(): boolean {
    return this.phase === Phase.Done;
  }

  /** Resolves once the connection's write queue is empty (or the exchange ended). */
  drained(): Promise<void> {
    if (this.connection.flushed || this.finished) return Promise.resolve();
    return new Promise((resolve) => (this.drainWaiter = resolve));
  }

  onDrain(): void {
    const waiter = this.drainWaiter;
    this.drainWaiter = null;
    waiter?.();
  }

  onData(chunk: Buffer): void {
    this.received = true;
    try {
      if (this.phase === Phase.Head) this.readHead(chunk);
      else if (this.phase !== Phase.Done) this.readBody(chunk);
    } catch (error) {
      const failure = error instanceof UpstreamError ? error : undefined;
      this.fail(failure ?? new UpstreamError("protocol", String(error)));
    }
  }

  onEnd(): void {
    if (this.phase === Phase.Collect || this.phase === Phase.Stream) {
      if (this.decoder!.closed()) return this.complete();
    }
    this.onClose(undefined);
  }

  onClose(error: Error | undefined): void {
    if (this.phase === Phase.Done) return;
    const stale = this.phase === Phase.Head && !this.received && this.connection.uses > 1;
    const why = error ? "upstream reset the connection" : "upstream closed the connection";
    this.fail(new UpstreamError("reset", why, false, stale));
  }

  /** The client went away (stream cancelled or request aborted). */
  abort(): void {
    this.fail(new UpstreamError("aborted", "client closed the request"));
  }

  /** Ends the exchange with a failure; the connection is never reused after one. */
  fail(error: UpstreamError): void {
    if (this.phase === Phase.Done) return;
    const phase = this.phase;
    this.phase = Phase.Done;
    this.clearTimer();
    this.connection.user = null;
    this.connection.destroy();
    this.onDrain();
    if (phase !== Phase.Stream) {
      this.settled(error, false);
      return this.refuse(error);
    }
    // After the client cancelled the stream there is nobody left to tell.
    if (error.failure !== "aborted") this.relay!.error(error);
    this.settled(error, true);
  }

  private settled(error: UpstreamError | null, responded: boolean): void {
    this.sink.settled(error, responded);
  }

  private readHead(chunk: Buffer): void {
    const complete = this.headReader.feed(chunk);
    if (complete) this.startBody(complete.head, complete.rest);
  }

  private startBody(head: ResponseHead, rest: Buffer): void {
    this.clearTimer();
    this.head = head;
    // The common case: a length-delimited body that arrived with its head needs no decoder.
    if (head.framing === "length" && rest.length >= head.contentLength) {
      this.excess = rest.length > head.contentLength;
      const length = head.contentLength;
      // Usually the body is exactly the rest of the read: no second view is needed.
      if (length > 0) this.collected.push(this.excess ? rest.subarray(0, length) : rest);
      this.phase = Phase.Collect;
      return this.complete();
    }
    this.decoder = new BodyDecoder(head.framing, head.contentLength, (data) => this.emit(data));
    this.phase = Phase.Collect;
    if (rest.length > 0) this.decoder.feed(rest);
    if (this.decoder.done) return this.complete();

    const small = head.framing === "length" && head.contentLength <= bufferedResponseLimit;
    if (!small) this.startStream();
  }

  private readBody(chunk: Buffer): void {
    this.decoder!.feed(chunk);
    if (this.decoder!.done) this.complete();
  }

  private emit(data: Uint8Array): void {
    if (this.relay) this.relay.push(data);
    else this.collected.push(data);
  }

  private startStream(): void {
    const relay = new BodyRelay(this.connection, () => this.abort());
    for (const data of this.collected) relay.push(data);
    this.collected = [];
    this.relay = relay;
    this.phase = Phase.Stream;
    this.answer(this.toResponse(relay.stream));
  }

  private complete(): void {
    const phase = this.phase;
    this.phase = Phase.Done;
    if (phase === Phase.Stream) this.relay!.close();
    else this.answer(this.toResponse(joinChunks(this.collected)));
    this.collected = [];
    if (this.requestSent) this.finishConnection();
    // An upstream that answered before reading the whole request leaves the rest of the body
    // unread on its side: that connection cannot carry another request.
    else this.connection.destroy();
    this.settled(null, true);
  }

  private finishConnection(): void {
    const { connection, decoder, head } = this;
    connection.user = null;
    if (!head!.keepAlive || this.excess || decoder?.excess) connection.close();
    else this.pool.release(connection);
  }

  private toResponse(body: ReadableStream<Uint8Array> | Uint8Array | null): Response {
    return clientResponse(this.head!, body, this.request.responseFields);
  }

  private answer(response: Response): void {
    this.stopWatchingClient();
    this.sink.answer(response, lengthFieldOf(this.head!));
  }

  private refuse(error: UpstreamError): void {
    this.stopWatchingClient();
    this.sink.refuse(error);
  }

  private stopWatchingClient(): void {
    this.watchingClient = false;
  }

  /** The client's request signal fired (EventListener interface). */
  handleEvent(): void {
    if (this.watchingClient) this.abort();
  }

  /** The response head did not come in time. */
  expire(): void {
    this.fail(new UpstreamError("timeout", "no response head in time"));
  }

  private clearTimer(): void {
    unwatchDeadline(this);
  }
}

/** The Content-Length field `clientResponse` puts on the Response; Bun adds its own later. */
function lengthFieldOf(head: ResponseHead): number | null {
  if (head.framing !== "none" || head.declaredLength === null || head.status === 204) return null;
  return Number(head.declaredLength);
}

function joinChunks(chunks: Uint8Array[]): Uint8Array | null {
  if (chunks.length === 0) return null;
  if (chunks.length === 1) return chunks[0]!;
  return Buffer.concat(chunks);
}
