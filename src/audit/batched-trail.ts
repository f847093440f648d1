import { mkdirSync } from "node:fs";
import type { AuditConfig } from "../config/sections/audit.ts";
import type { Logger } from "../log/logger.ts";
import { createQueryRedactor, type QueryRedactor } from "../log/redact-query.ts";
import type { RequestContext } from "../server/context.ts";
import { buildFrame, type PendingFrame } from "./batch-builder.ts";
import { BatchQueue } from "./batch-queue.ts";
import { lockDirectory } from "./directory-lock.ts";
import { DropCounter } from "./drop-counter.ts";
import { buildAuditEvent, type AuditEvent, type AuditOutcome } from "./event.ts";
import { HeadWriter } from "./head-file.ts";
import { recoverChain } from "./recovery.ts";
import { SegmentWriter } from "./segment-writer.ts";
import type { AuditStats, AuditTrail } from "./trail.ts";

const probeIntervalMs = 200;
const pruneIntervalMs = 60_000;

/**
 * The trail proper: a bounded queue filled by the request path, drained by one write loop
 * that frames batches and appends them to the segment writer, and a probe that notices a
 * failing sink and retries it. See trail.ts for the contract.
 */
export class BatchedAuditTrail implements AuditTrail {
  private readonly queue = new BatchQueue();
  private readonly writer: SegmentWriter;
  private head: HeadWriter | null;
  private readonly failClosed: boolean;
  private readonly capacity: number;
  /** Records of requests already admitted may overshoot `capacity` up to here. */
  private readonly hardCapacity: number;
  private readonly batchRecords: number;
  private readonly batchAgeMs: number;
  private readonly redactQuery: QueryRedactor;
  private readonly hmacKey: Uint8Array | null;

  private nextSequence: number;
  private previousHash: Uint8Array;
  private firstSequence: number;
  private stalled: PendingFrame | null = null;
  private healthy = true;
  private closed = false;
  private writing: Promise<void> | null = null;
  private forceRequested = false;
  private timer: ReturnType<typeof setTimeout> | null = null;
  private immediateArmed = false;
  private readonly probe: ReturnType<typeof setInterval>;
  private readonly unlock: () => void;
  private lastPruneAt = Date.now();
  private readonly drops: DropCounter;
  private counters = { batches: 0, records: 0, bytes: 0, errors: 0 };

  constructor(
    audit: AuditConfig,
    readonly dir: string,
    private readonly node: string,
    private readonly logger: Logger,
  ) {
    this.failClosed = audit.onError === "fail-closed";
    this.capacity = audit.queueCapacity;
    this.hardCapacity = audit.queueCapacity * 2;
    this.batchRecords = audit.batchRecords;
    this.batchAgeMs = audit.batchAgeMs;
    this.redactQuery = createQueryRedactor(audit.redactQueryParams);
    this.hmacKey = audit.hmacKey ? new TextEncoder().encode(audit.hmacKey) : null;
    this.drops = new DropCounter(logger);

    mkdirSync(this.dir, { recursive: true });
    this.unlock = lockDirectory(this.dir);
    const position = recoverChain(this.dir, logger);
    this.nextSequence = position.nextSequence;
    this.previousHash = position.previousHash;
    this.firstSequence = position.firstSequence;
    this.writer = new SegmentWriter({ ...audit, dir: this.dir }, logger);
    const now = Date.now();
    if (position.appendTo) {
      const { path, bytes, openedAt } = position.appendTo;
      this.writer.resume(path, bytes, openedAt);
    } else {
      this.writer.rotate(this.nextSequence, now);
    }
    this.writer.prune(now);
    this.head = new HeadWriter(this.dir, this.hmacKey);
    this.writeHead();
    this.probe = setInterval(() => this.checkSink(), probeIntervalMs);
    this.probe.unref();
    logger.info(
      { dir: this.dir, nextSequence: this.nextSequence, onError: audit.onError },
      "audit trail open",
    );
  }

  admit(): boolean {
    if (!this.failClosed) return true;
    return this.healthy && this.queue.length < this.capacity;
  }

  record(ctx: RequestContext, outcome: AuditOutcome): void {
    this.enqueue(buildAuditEvent(ctx, outcome, this.node));
  }

  enqueue(event: AuditEvent): void {
    const length = this.queue.length;
    const limit = this.failClosed ? this.hardCapacity : this.capacity;
    if (length >= limit || this.closed) return this.drops.add(1, this.closed);
    this.queue.push(event);
    if (this.timer === null) this.timer = setTimeout(this.onTimer, this.batchAgeMs);
    if (length + 1 >= this.batchRecords && !this.immediateArmed && this.writing === null) {
      this.immediateArmed = true;
      setImmediate(this.onImmediate);
    }
  }

  stats(): AuditStats {
    const c = this.counters;
    return {
      queued: this.queue.length,
      batchesWritten: c.batches,
      recordsWritten: c.records,
      bytesWritten: c.bytes,
      recordsDropped: this.drops.total,
      writeErrors: c.errors,
      sinkHealthy: this.healthy,
    };
  }

  async flush(): Promise<void> {
    while (this.writing) await this.writing;
    await this.pump(true);
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    clearInterval(this.probe);
    if (this.timer) clearTimeout(this.timer);
    while (this.writing) await this.writing;
    await this.pump(true);
    if (!this.healthy && this.reopen()) await this.pump(true);
    const lost = this.queue.length + (this.stalled?.recordCount ?? 0);
    if (lost > 0) {
      this.drops.add(lost, true);
      this.logger.error({ lost, dir: this.dir }, "audit records could not be written before exit");
    }
    this.writer.close();
    this.head?.close();
    this.unlock();
    const { batches, records } = this.counters;
    this.logger.info({ batches, records }, "audit trail closed");
  }

  private readonly onTimer = () => {
    this.timer = null;
    if (this.writing) this.forceRequested = true;
    else void this.pump(true);
  };

  private readonly onImmediate = () => {
    this.immediateArmed = false;
    if (!this.writing) void this.pump(false);
  };

  /** Starts the write loop unless it runs; returns the loop's promise. */
  private pump(force: boolean): Promise<void> {
    if (this.writing) return this.writing;
    const loop = this.writeLoop(force).finally(() => {
      this.writing = null;
      if (this.queue.length > 0 && this.timer === null && !this.closed) {
        this.timer = setTimeout(this.onTimer, this.batchAgeMs);
      }
    });
    this.writing = loop;
    return loop;
  }

  /**
   * Writes full batches, and one partial batch when forced (the oldest record reached the
   * batch age). Records that arrive during a write wait for their own batch or age.
   */
  private async writeLoop(force: boolean): Promise<void> {
    while (this.healthy) {
      if (this.forceRequested) {
        this.forceRequested = false;
        force = true;
      }
      if (!this.stalled) {
        const length = this.queue.length;
        if (length === 0 || (length < this.batchRecords && !force)) return;
        if (length <= this.batchRecords) force = false;
        const records = this.queue.take(this.batchRecords);
        this.stalled = buildFrame(
          records,
          this.nextSequence,
          this.previousHash,
          this.redactQuery,
          this.hmacKey,
        );
      }
      const frame = this.stalled;
      try {
        await this.writer.append(frame.bytes, frame.sequence, Date.now());
      } catch (error) {
        this.markFailing(error);
        return;
      }
      this.stalled = null;
      this.nextSequence = frame.sequence + 1;
      this.previousHash = frame.hash;
      this.counters.batches++;
      this.counters.records += frame.recordCount;
      this.counters.bytes += frame.bytes.length;
      this.writeHead();
    }
  }

  private writeHead(): void {
    // Only retention moves the start of the chain forward; files lost otherwise stay missing.
    this.firstSequence = Math.max(this.firstSequence, this.writer.retainedFrom ?? 0);
    try {
      this.head?.write({
        firstSequence: this.firstSequence,
        lastSequence: this.nextSequence - 1,
        lastHash: this.previousHash,
      });
    } catch (error) {
      this.markFailing(error);
    }
  }

  /** Runs every probe interval: notices a segment removed or replaced, retries a failed sink. */
  private checkSink(): void {
    if (this.writing) return;
    if (this.healthy && !this.writer.stillInPlace()) {
      this.markFailing(Object.assign(new Error("segment removed or replaced"), { code: "EGONE" }));
    }
    if (!this.healthy && this.reopen()) void this.pump(true);
    const now = Date.now();
    if (this.healthy && now - this.lastPruneAt >= pruneIntervalMs) {
      this.lastPruneAt = now;
      this.writer.prune(now);
      this.writeHead();
    }
  }

  private reopen(): boolean {
    try {
      this.writer.rotate(this.stalled?.sequence ?? this.nextSequence, Date.now());
      this.head?.close();
      this.head = new HeadWriter(this.dir, this.hmacKey);
    } catch {
      this.writer.abandon();
      return false;
    }
    this.healthy = true;
    this.writeHead();
    if (this.healthy) {
      this.logger.warn({ dir: this.dir, segment: this.writer.activePath }, "audit sink recovered");
    }
    return this.healthy;
  }

  private markFailing(error: unknown): void {
    this.counters.errors++;
    this.writer.abandon();
    if (!this.healthy) return;
    this.healthy = false;
    const code = (error as NodeJS.ErrnoException).code ?? "EIO";
    const consequence = this.failClosed
      ? "forwarded requests are refused with 503 until it recovers"
      : "records are kept until the queue is full, then dropped";
    this.logger.error({ dir: this.dir, code }, `audit sink failing; ${consequence}`);
  }
}
