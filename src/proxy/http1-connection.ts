import type { Socket, SocketHandler } from "bun";
import { classifySocketError, UpstreamError } from "./upstream-error.ts";

/** The exchange currently using a connection; it receives the socket's events. */
export interface ConnectionUser {
  onData(chunk: Buffer): void;
  /** The upstream sent FIN. */
  onEnd(): void;
  /** The socket is gone; `error` is set for a reset or other failure. */
  onClose(error: Error | undefined): void;
  /** Everything queued so far has been handed to the kernel. */
  onDrain(): void;
}

/** Told when a connection closes, so an idle one can leave its pool. */
export interface ConnectionOwner {
  connectionClosed(connection: Http1Connection): void;
}

/**
 * One keep-alive HTTP/1.1 connection to an upstream target. It owns the socket and a write
 * queue for what the kernel would not take at once (Bun's `write` returns the bytes accepted);
 * the exchange using it parses what comes back.
 */
export class Http1Connection {
  socket: Socket<Http1Connection> | null = null;
  user: ConnectionUser | null = null;
  closed = false;
  /** Requests carried so far; a connection with uses > 0 may have been closed by the upstream
   *  while idle, which decides whether a failed request may be retried. */
  uses = 0;
  /** `performance.now()` when it was last put back in the pool. */
  idleSince = 0;
  private queue: Uint8Array[] = [];

  constructor(private readonly owner: ConnectionOwner) {}

  /** True when nothing is waiting for the kernel to drain. */
  get flushed(): boolean {
    return this.queue.length === 0;
  }

  /**
   * Sends bytes, queueing whatever the socket does not accept now. Strings must be ASCII (the
   * request head is; non-ASCII heads are passed as latin-1 bytes). False once closed.
   */
  write(data: string | Uint8Array): boolean {
    if (this.closed || !this.socket) return false;
    if (this.queue.length > 0) {
      this.queue.push(typeof data === "string" ? Buffer.from(data, "latin1") : data);
      return true;
    }
    const written = this.socket.write(data);
    if (written < 0) return false;
    if (written < data.length) {
      const rest = typeof data === "string"
        ? Buffer.from(data.slice(written), "latin1")
        : data.subarray(written);
      this.queue.push(rest);
    }
    return true;
  }

  pause(): void {
    this.socket?.pause();
  }

  resume(): void {
    this.socket?.resume();
  }

  /** Closes at once with a reset: used when the exchange failed or the client went away. */
  destroy(): void {
    if (this.closed) return;
    this.closed = true;
    this.socket?.terminate();
  }

  /** Closes an idle connection politely (FIN). */
  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.socket?.end();
  }

  handleDrain(): void {
    const socket = this.socket;
    while (socket && this.queue.length > 0) {
      const head = this.queue[0]!;
      const written = socket.write(head);
      if (written < 0) return;
      if (written < head.length) {
        this.queue[0] = head.subarray(written);
        return;
      }
      this.queue.shift();
    }
    this.user?.onDrain();
  }

  handleData(chunk: Buffer): void {
    if (this.user) this.user.onData(chunk);
    // An idle connection has no business receiving bytes; whatever they are, they would be
    // read as the next response.
    else this.destroy();
  }

  handleEnd(): void {
    if (this.user) this.user.onEnd();
    else this.close();
  }

  handleClose(error: Error | undefined): void {
    this.closed = true;
    this.queue.length = 0;
    const user = this.user;
    this.user = null;
    user?.onClose(error);
    this.owner.connectionClosed(this);
  }
}

const handlers: SocketHandler<Http1Connection, "buffer"> = {
  binaryType: "buffer",
  data: (socket, chunk) => socket.data.handleData(chunk),
  drain: (socket) => socket.data.handleDrain(),
  end: (socket) => socket.data.handleEnd(),
  close: (socket, error) => socket.data.handleClose(error),
  error: (socket, error) => socket.data.handleClose(error),
  // The promise returned by Bun.connect rejects as well; the failure is handled there.
  connectError: () => {},
};

/**
 * Opens a connection. Bun.connect has no timeout of its own, so a timer bounds it; a socket
 * that opens after the deadline is closed at once.
 */
export function openConnection(
  owner: ConnectionOwner,
  hostname: string,
  port: number,
  timeoutMs: number,
): Promise<Http1Connection> {
  const connection = new Http1Connection(owner);
  return new Promise((resolve, reject) => {
    let settled = false;
    const timer = setTimeout(() => {
      settled = true;
      connection.closed = true;
      reject(new UpstreamError("connect_timeout", `connect timed out after ${timeoutMs} ms`, true));
    }, timeoutMs);

    Bun.connect<Http1Connection>({ hostname, port, socket: handlers, data: connection }).then(
      (socket) => {
        clearTimeout(timer);
        if (settled) return void socket.terminate();
        settled = true;
        connection.socket = socket;
        resolve(connection);
      },
      (error: unknown) => {
        clearTimeout(timer);
        if (settled) return;
        settled = true;
        connection.closed = true;
        reject(classifySocketError(error, true));
      },
    );
  });
}
