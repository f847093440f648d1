import type { Logger } from "../log/logger.ts";

const warnIntervalMs = 5_000;

/**
 * Counts audit records that could not be kept and says so in the log, at most once every
 * five seconds with the number since the last warning: a full queue under load must not
 * turn into a log line per request.
 */
export class DropCounter {
  total = 0;
  private sinceWarning = 0;
  private lastWarningAt = 0;

  constructor(private readonly logger: Logger) {}

  add(count: number, closed: boolean): void {
    this.total += count;
    this.sinceWarning += count;
    const now = Date.now();
    if (now - this.lastWarningAt < warnIntervalMs) return;
    this.lastWarningAt = now;
    this.logger.warn(
      { dropped: this.sinceWarning, total: this.total, closed },
      "audit records dropped: queue full or trail closed",
    );
    this.sinceWarning = 0;
  }
}
