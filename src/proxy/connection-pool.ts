import { Http1Connection, openConnection, type ConnectionOwner } from "./http1-connection.ts";

export interface PoolOptions {
  readonly hostname: string;
  readonly port: number;
  /** Idle connections kept; one more released is closed instead. */
  readonly maxIdle: number;
  /** An idle connection older than this is closed rather than reused. */
  readonly idleTimeoutMs: number;
}

/** Counters for metrics and for the connection-reuse tests. */
export interface PoolStats {
  readonly opened: number;
  readonly reused: number;
  readonly idle: number;
}

/**
 * Keep-alive connections to one upstream target. Bun's fetch keeps at most 64 idle sockets per
 * process and opens a new connection for most requests beyond that (BUN-NOTES §1.3); this pool
 * keeps up to `maxIdle` per target, so 256 concurrent clients reuse 256 warm connections.
 *
 * Idle connections are a stack: the most recently used one is taken first (it is the least
 * likely to have been closed by the upstream), and the oldest ones age out at the bottom.
 */
export class ConnectionPool implements ConnectionOwner {
  private idle: Http1Connection[] = [];
  private opened = 0;
  private reused = 0;
  private closing = false;
  /** Runs only while connections are idle, so a pool dropped by a reload leaves nothing behind. */
  private sweeper: Timer | null = null;

  constructor(private readonly options: PoolOptions) {}

  /** A warm connection, or null when none is idle. */
  takeIdle(): Http1Connection | null {
    const limit = performance.now() - this.options.idleTimeoutMs;
    for (let connection = this.idle.pop(); connection; connection = this.idle.pop()) {
      if (connection.closed) continue;
      if (connection.idleSince < limit) {
        connection.close();
        continue;
      }
      this.reused++;
      return connection;
    }
    return null;
  }

  /** Opens a new connection; rejects with an UpstreamError (refused, dns, connect_timeout). */
  open(connectTimeoutMs: number): Promise<Http1Connection> {
    this.opened++;
    const { hostname, port } = this.options;
    return openConnection(this, hostname, port, connectTimeoutMs);
  }

  /** Takes back a connection whose last exchange ended cleanly. */
  release(connection: Http1Connection): void {
    if (connection.closed) return;
    if (this.closing || this.idle.length >= this.options.maxIdle) return connection.close();
    connection.idleSince = performance.now();
    this.idle.push(connection);
    if (this.sweeper === null) {
      const every = Math.max(250, Math.floor(this.options.idleTimeoutMs / 2));
      this.sweeper = setInterval(() => this.sweep(), every);
      this.sweeper.unref();
    }
  }

  connectionClosed(connection: Http1Connection): void {
    const at = this.idle.indexOf(connection);
    if (at !== -1) this.idle.splice(at, 1);
  }

  stats(): PoolStats {
    return { opened: this.opened, reused: this.reused, idle: this.idle.length };
  }

  /** Closes idle connections; connections in use close when their exchange ends. */
  close(): void {
    this.closing = true;
    this.stopSweeper();
    const idle = this.idle;
    this.idle = [];
    for (const connection of idle) connection.close();
  }

  private stopSweeper(): void {
    if (this.sweeper !== null) clearInterval(this.sweeper);
    this.sweeper = null;
  }

  private sweep(): void {
    if (this.idle.length === 0) return this.stopSweeper();
    const limit = performance.now() - this.options.idleTimeoutMs;
    let stale = 0;
    while (stale < this.idle.length && this.idle[stale]!.idleSince < limit) stale++;
    if (stale === 0) return;
    for (const connection of this.idle.splice(0, stale)) connection.close();
  }
}
