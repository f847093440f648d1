import {
  closeSync,
  fdatasync,
  fstatSync,
  ftruncateSync,
  mkdirSync,
  openSync,
  statSync,
  unlinkSync,
  write,
} from "node:fs";
import { join } from "node:path";
import type { Logger } from "../log/logger.ts";
import { listSegments, modifiedAt, segmentFileName } from "./segment-files.ts";

export interface SegmentWriterOptions {
  readonly dir: string;
  readonly fsync: boolean;
  readonly segmentMaxBytes: number;
  readonly segmentMaxAgeMs: number;
  readonly retention: { readonly maxSegments?: number; readonly maxAgeMs?: number };
}

/**
 * Appends frames to the active segment, opened with O_APPEND by us (Bun's `file().writer()`
 * would write from offset 0, BUN-NOTES §1.13), and rotates and prunes segments. Writes go
 * through libuv's thread pool, so the event loop never waits for the disk, fsync included.
 */
export class SegmentWriter {
  private fd: number | null = null;
  private path = "";
  private bytes = 0;
  private openedAt = 0;
  private identity = "";
  /** First sequence left on disk after retention last removed a segment; null until then. */
  retainedFrom: number | null = null;

  constructor(
    private readonly options: SegmentWriterOptions,
    private readonly logger: Logger,
  ) {}

  /** Continues an existing segment (after recovery) instead of starting a new one. */
  resume(path: string, bytes: number, openedAt: number): void {
    this.openAt(path, openedAt);
    this.bytes = bytes;
  }

  get activePath(): string | null {
    return this.fd === null ? null : this.path;
  }

  /**
   * Appends one frame whose batch has `sequence`, starting a new segment first when the active
   * one is full or old. Resolves once the bytes are written (and synced, when configured).
   * On a failed or short write the segment is cut back to its last whole frame.
   */
  async append(frame: Uint8Array, sequence: number, now: number): Promise<void> {
    if (this.fd === null || this.rotationDue(frame.length, now)) this.rotate(sequence, now);
    const fd = this.fd!;
    const before = this.bytes;
    try {
      await writeAll(fd, frame);
      if (this.options.fsync) await syncData(fd);
      this.bytes = before + frame.length;
    } catch (error) {
      this.cutBack(fd, before);
      throw error;
    }
  }

  /**
   * Whether the active segment is still the file at its path. A segment deleted, renamed or
   * replaced under us (or a directory that vanished) would swallow records unseen.
   */
  stillInPlace(): boolean {
    if (this.fd === null) return false;
    try {
      return fileIdentity(statSync(this.path)) === this.identity;
    } catch {
      return false;
    }
  }

  /** Drops the active segment so the next append opens a new one. */
  abandon(): void {
    if (this.fd === null) return;
    try {
      closeSync(this.fd);
    } catch {
      // The descriptor may belong to a deleted file; nothing more can be done with it.
    }
    this.fd = null;
  }

  /** Opens a fresh segment for `sequence` now (to probe whether the directory is writable). */
  rotate(sequence: number, now: number): void {
    this.abandon();
    mkdirSync(this.options.dir, { recursive: true });
    this.openAt(join(this.options.dir, segmentFileName(sequence)), now);
    this.prune();
  }

  close(): void {
    this.abandon();
  }

  /**
   * Deletes the oldest closed segments beyond `maxSegments` or older than `maxAgeMs`, only
   * from the old end so the chain keeps no hole, and notes in `retainedFrom` where it now
   * starts.
   */
  prune(now = Date.now()): void {
    const { maxSegments, maxAgeMs } = this.options.retention;
    const segments = listSegments(this.options.dir);
    let remaining = segments.length;
    let index = 0;
    for (; index < segments.length; index++) {
      const segment = segments[index]!;
      if (segment.path === this.path) break;
      const tooMany = maxSegments !== undefined && remaining > maxSegments;
      const modified = modifiedAt(segment.path);
      const tooOld = maxAgeMs !== undefined && modified !== null && now - modified > maxAgeMs;
      if (!tooMany && !tooOld) break;
      unlinkSync(segment.path);
      remaining--;
      const removed = { segment: segment.name, tooMany, tooOld };
      this.logger.info(removed, "audit segment removed by retention");
    }
    if (index > 0) this.retainedFrom = segments[index]?.firstSequence ?? null;
  }

  private rotationDue(frameBytes: number, now: number): boolean {
    if (this.bytes === 0) return false;
    if (this.bytes + frameBytes > this.options.segmentMaxBytes) return true;
    return now - this.openedAt >= this.options.segmentMaxAgeMs;
  }

  private openAt(path: string, openedAt: number): void {
    const fd = openSync(path, "a", 0o640);
    this.fd = fd;
    this.path = path;
    this.bytes = fstatSync(fd).size;
    this.openedAt = openedAt;
    this.identity = fileIdentity(fstatSync(fd));
  }

  private cutBack(fd: number, length: number): void {
    try {
      ftruncateSync(fd, length);
    } catch (error) {
      // The torn frame stays; start-up recovery or verify will point at it.
      const where = { err: error, segment: this.path };
      this.logger.error(where, "could not cut back a failed audit write");
      this.abandon();
    }
  }
}

function fileIdentity(stat: { dev: number; ino: number }): string {
  return `${stat.dev}:${stat.ino}`;
}

function syncData(fd: number): Promise<void> {
  return new Promise((resolve, reject) => fdatasync(fd, (e) => (e ? reject(e) : resolve())));
}

function writeAll(fd: number, bytes: Uint8Array): Promise<void> {
  return new Promise((resolve, reject) => {
    const step = (offset: number) => {
      write(fd, bytes, offset, bytes.length - offset, null, (error, written) => {
        if (error) return reject(error);
        if (written === 0) return reject(new Error("audit write made no progress"));
        if (offset + written < bytes.length) return step(offset + written);
        resolve();
      });
    };
    step(0);
  });
}
