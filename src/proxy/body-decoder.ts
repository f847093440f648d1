import type { BodyFraming } from "./response-head.ts";
import { UpstreamError } from "./upstream-error.ts";

const enum State {
  Size,
  Extension,
  SizeLf,
  Data,
  DataCr,
  DataLf,
  Trailer,
  Done,
}

/** Longest chunk-size line (with extensions) and trailer section we read before giving up. */
const maxLineBytes = 4096;
const maxTrailerBytes = 16 * 1024;

const CR = 13;
const LF = 10;

/**
 * Removes the framing of an upstream response body and hands on the payload bytes, as views
 * into the received buffers (no copies). Chunked bodies are decoded strictly (RFC 9112 §7.1):
 * a sloppy decoder is where proxy and upstream start to disagree about message boundaries.
 */
export class BodyDecoder {
  /** The message is complete; more bytes on the connection would be a protocol error. */
  done: boolean;
  /** Bytes arrived after the end of the message: the connection cannot be reused. */
  excess = false;
  /** Payload bytes delivered so far. */
  delivered = 0;
  private state = State.Size;
  private remaining: number;
  private lineBytes = 0;
  private trailerBytes = 0;
  private sawDigit = false;

  constructor(
    private readonly framing: BodyFraming,
    contentLength: number,
    private readonly emit: (chunk: Uint8Array) => void,
  ) {
    this.remaining = framing === "length" ? contentLength : 0;
    this.done = framing === "none" || (framing === "length" && contentLength === 0);
  }

  /** Feeds received bytes; throws UpstreamError("protocol") on malformed chunk framing. */
  feed(data: Uint8Array): void {
    if (this.done) {
      if (data.length > 0) this.excess = true;
      return;
    }
    if (this.framing === "close") return this.deliver(data);
    if (this.framing === "length") return this.feedLength(data);
    this.feedChunked(data);
  }

  /** The upstream closed cleanly (FIN); only a close-delimited body ends that way. */
  closed(): boolean {
    if (this.framing === "close") this.done = true;
    return this.done;
  }

  private deliver(chunk: Uint8Array): void {
    if (chunk.length === 0) return;
    this.delivered += chunk.length;
    this.emit(chunk);
  }

  private feedLength(data: Uint8Array): void {
    if (data.length <= this.remaining) {
      this.remaining -= data.length;
      this.deliver(data);
    } else {
      this.deliver(data.subarray(0, this.remaining));
      this.remaining = 0;
      this.excess = true;
    }
    if (this.remaining === 0) this.done = true;
  }

  private feedChunked(data: Uint8Array): void {
    let i = 0;
    while (i < data.length) {
      if (this.state === State.Data) {
        const take = Math.min(this.remaining, data.length - i);
        this.deliver(data.subarray(i, i + take));
        i += take;
        this.remaining -= take;
        if (this.remaining === 0) this.state = State.DataCr;
        continue;
      }
      if (this.state === State.Done) {
        this.excess = true;
        return;
      }
      this.step(data[i]!);
      i++;
    }
  }

  /** One byte of a size line, a chunk's CRLF or the trailer section. */
  private step(byte: number): void {
    switch (this.state) {
      case State.Size:
        return this.sizeByte(byte);
      case State.Extension:
        if (byte === CR) this.state = State.SizeLf;
        else this.countLine();
        return;
      case State.SizeLf:
        if (byte !== LF) throw malformed("chunk size line");
        this.lineBytes = 0;
        this.sawDigit = false;
        this.state = this.remaining === 0 ? State.Trailer : State.Data;
        return;
      case State.DataCr:
        if (byte !== CR) throw malformed("chunk data end");
        this.state = State.DataLf;
        return;
      case State.DataLf:
        if (byte !== LF) throw malformed("chunk data end");
        this.state = State.Size;
        return;
      case State.Trailer:
        return this.trailerByte(byte);
    }
  }

  private sizeByte(byte: number): void {
    const digit = hexValue(byte);
    if (digit >= 0) {
      this.sawDigit = true;
      this.remaining = this.remaining * 16 + digit;
      if (this.remaining > Number.MAX_SAFE_INTEGER / 16) throw malformed("chunk size");
      this.countLine();
      return;
    }
    if (!this.sawDigit) throw malformed("chunk size");
    if (byte === CR) this.state = State.SizeLf;
    else if (byte === 0x3b /* ; */ || byte === 0x20 || byte === 0x09) {
      this.state = State.Extension;
    } else throw malformed("chunk size");
  }

  /** Trailer fields are read and dropped: Bun.serve cannot send trailers to the client. */
  private trailerByte(byte: number): void {
    if (++this.trailerBytes > maxTrailerBytes) throw malformed("trailer section too large");
    if (byte === LF) {
      // A line holding only CR ends the message; a line starting otherwise counts from 2.
      if (this.lineBytes === 1) {
        this.state = State.Done;
        this.done = true;
      }
      this.lineBytes = 0;
      return;
    }
    this.lineBytes++;
    if (this.lineBytes === 1 && byte !== CR) this.lineBytes = 2;
  }

  private countLine(): void {
    if (++this.lineBytes > maxLineBytes) throw malformed("chunk size line too long");
  }
}

function hexValue(byte: number): number {
  if (byte >= 0x30 && byte <= 0x39) return byte - 0x30;
  const lower = byte | 0x20;
  if (lower >= 0x61 && lower <= 0x66) return lower - 0x61 + 10;
  return -1;
}

function malformed(what: string): UpstreamError {
  return new UpstreamError("protocol", `malformed chunked body: ${what}`);
}
