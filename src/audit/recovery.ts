import { closeSync, mkdirSync, openSync, readSync, statSync, truncateSync } from "node:fs";
import type { Logger } from "../log/logger.ts";
import { toHex, zeroHash } from "./frame.ts";
import { readHead } from "./head-file.ts";
import { framesAfter, scanSegment } from "./scan.ts";
import { listSegments, type SegmentFile } from "./segment-files.ts";

/** Where the chain stands after start-up recovery, for the writer to continue from. */
export interface ChainPosition {
  /** Sequence number of the next batch. */
  readonly nextSequence: number;
  readonly previousHash: Uint8Array;
  /** Oldest batch still on disk (for HEAD). */
  readonly firstSequence: number;
  /** The last segment, when it may be appended to; null to start a new one. */
  readonly appendTo: { path: string; bytes: number; openedAt: number } | null;
}

interface LastFrame {
  readonly sequence: number;
  readonly hash: Uint8Array;
  readonly end: number;
  readonly firstTime: number | null;
}

/**
 * Finds the end of the chain in `dir`. A torn last batch (a crash mid-write: the file ends
 * inside a frame, or its CRC fails and nothing valid follows) is cut back to the last whole
 * batch and reported. Damage followed by valid frames is not a crash: nothing is cut (it is
 * evidence), it is reported as an error, and writing continues in a new segment.
 */
export function recoverChain(dir: string, logger: Logger): ChainPosition {
  mkdirSync(dir, { recursive: true });
  const segments = listSegments(dir);
  const head = readHead(dir);
  if (head === "damaged") logger.warn({ dir }, "audit HEAD checkpoint is damaged; rewriting it");

  let appendTo: ChainPosition["appendTo"] = null;
  let last: LastFrame | null = null;
  for (let i = segments.length - 1; i >= 0 && !last; i--) {
    const segment = segments[i]!;
    const outcome = recoverSegment(segment, logger);
    last = outcome.last;
    if (i === segments.length - 1 && outcome.appendable) {
      const openedAt = outcome.firstTime ?? statSync(segment.path).mtimeMs;
      appendTo = { path: segment.path, bytes: outcome.end, openedAt };
    }
  }

  // HEAD remembers the oldest batch retention kept; files missing below it stay missing.
  const headFirst = head && head !== "damaged" ? head.firstSequence : null;
  const firstSequence = headFirst ?? segments[0]?.firstSequence ?? 1;
  if (head && head !== "damaged" && head.lastSequence > (last?.sequence ?? 0)) {
    logger.warn(
      { dir, headSequence: head.lastSequence, diskSequence: last?.sequence ?? 0 },
      "audit HEAD records batches that are not on disk (lost in a crash, or removed)",
    );
    if (!last) {
      // Keep the chain continuous with what HEAD vouches for; verify reports the gap.
      return {
        nextSequence: head.lastSequence + 1,
        previousHash: head.lastHash,
        firstSequence: head.firstSequence,
        appendTo: null,
      };
    }
  }
  if (!last) return { nextSequence: 1, previousHash: zeroHash, firstSequence, appendTo: null };
  return { nextSequence: last.sequence + 1, previousHash: last.hash, firstSequence, appendTo };
}

interface SegmentOutcome {
  readonly last: LastFrame | null;
  readonly end: number;
  readonly firstTime: number | null;
  /** False when the segment is damaged in the middle and must not grow. */
  readonly appendable: boolean;
}

function recoverSegment(segment: SegmentFile, logger: Logger): SegmentOutcome {
  let last: LastFrame | null = null;
  let firstTime: number | null = null;
  for (const item of scanSegment(segment.path)) {
    if (item.kind === "frame") {
      firstTime ??= item.header.firstTime;
      last = {
        sequence: item.header.sequence,
        hash: item.header.hash.slice(),
        end: item.offset + item.bytes.length,
        firstTime,
      };
      continue;
    }
    const rest = readFrom(segment.path, item.offset);
    const following = framesAfter(rest, 0);
    const report = { segment: segment.name, offset: item.offset, problem: item.problem };
    if (following.length === 0) {
      truncateSync(segment.path, item.offset);
      logger.warn(
        { ...report, bytesCut: rest.length, lastSequence: last?.sequence ?? null },
        "audit segment had a torn last batch; cut back to the last whole batch",
      );
      return { last, end: item.offset, firstTime, appendable: true };
    }
    const final = following[following.length - 1]!;
    logger.error(
      { ...report, lastSequence: final.sequence, lastHash: toHex(final.hash) },
      "audit segment is damaged before its end; left as is, writing continues in a new segment",
    );
    const end = item.offset + final.offset + final.length;
    return {
      last: { sequence: final.sequence, hash: final.hash, end, firstTime },
      end,
      firstTime,
      appendable: false,
    };
  }
  return { last, end: last?.end ?? 0, firstTime, appendable: true };
}

function readFrom(path: string, offset: number): Uint8Array {
  const fd = openSync(path, "r");
  try {
    const size = statSync(path).size;
    const bytes = new Uint8Array(Math.max(0, size - offset));
    let filled = 0;
    while (filled < bytes.length) {
      const read = readSync(fd, bytes, filled, bytes.length - filled, offset + filled);
      if (read === 0) break;
      filled += read;
    }
    return bytes.subarray(0, filled);
  } finally {
    closeSync(fd);
  }
}
