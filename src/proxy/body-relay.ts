import type { Http1Connection } from "./http1-connection.ts";

/** Bytes queued for the client before the upstream socket is paused. */
export const relayHighWaterMark = 64 * 1024;

/**
 * The response body stream handed to Bun.serve. Chunks are queued as they arrive; when the
 * client reads slower than the upstream sends, the upstream socket is paused, so TCP
 * backpressure reaches the upstream instead of the gateway's memory filling up, and resumed
 * when the client catches up. A cancel (the client went away) is passed on.
 */
export class BodyRelay {
  readonly stream: ReadableStream<Uint8Array>;
  private controller!: ReadableStreamDefaultController<Uint8Array>;
  private paused = false;

  constructor(
    private readonly connection: Http1Connection,
    onCancel: () => void,
  ) {
    this.stream = new ReadableStream<Uint8Array>(
      {
        start: (controller) => {
          this.controller = controller;
        },
        pull: () => this.resume(),
        cancel: onCancel,
      },
      { highWaterMark: relayHighWaterMark, size: (chunk) => chunk?.byteLength ?? 0 },
    );
  }

  push(data: Uint8Array): void {
    const controller = this.controller;
    controller.enqueue(data);
    if (!this.paused && controller.desiredSize !== null && controller.desiredSize <= 0) {
      this.paused = true;
      this.connection.pause();
    }
  }

  /** The body is complete; the socket is resumed so it can serve the next request. */
  close(): void {
    this.controller.close();
    this.resume();
  }

  /** The body broke: Bun.serve closes the client connection without a clean ending. */
  error(reason: Error): void {
    this.controller.error(reason);
  }

  private resume(): void {
    if (!this.paused) return;
    this.paused = false;
    this.connection.resume();
  }
}
