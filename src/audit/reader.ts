import { listChains } from "./chains.ts";
import { decodeRecords } from "./codec.ts";
import type { AuditEvent } from "./event.ts";
import { headerBytes } from "./frame.ts";
import { scanSegment, type ScanBreak, type ScannedFrame } from "./scan.ts";
import { listSegments, type SegmentFile } from "./segment-files.ts";

/** A damaged spot the reader stepped over: the rest of that segment is skipped. */
export interface ReadProblem {
  readonly segment: string;
  readonly offset: number;
  readonly problem: ScanBreak["problem"] | "payload";
  readonly sequence: number | null;
}

export interface ReadOptions {
  /** Skip batches whose records all arrived before this (ms since the epoch). */
  readonly since?: number;
  /** Skip batches whose records all arrived at or after this. */
  readonly until?: number;
  /** Called for each damaged spot; reading goes on with the next segment. */
  readonly onProblem?: (problem: ReadProblem) => void;
}

/** Every CRC-valid frame of a directory in chain order, with the segment it came from. */
export function* readFrames(
  dir: string,
  onProblem?: (problem: ReadProblem) => void,
): Generator<{ segment: SegmentFile; frame: ScannedFrame }> {
  for (const segment of listSegments(dir)) {
    for (const item of scanSegment(segment.path)) {
      if (item.kind === "frame") {
        yield { segment, frame: item };
        continue;
      }
      const { offset, problem, sequence } = item;
      onProblem?.({ segment: segment.name, offset, problem, sequence });
    }
  }
}

/** Decodes one scanned frame's records; throws on a payload that is not a record array. */
export function decodeFrame(frame: ScannedFrame): AuditEvent[] {
  const start = headerBytes;
  return decodeRecords(frame.bytes.subarray(start, start + frame.header.payloadBytes));
}

/**
 * Streams the records of a directory, oldest batch first (chain after chain when workers
 * wrote it), decoding only the batches whose time range can match: one sequential pass with
 * 4 MiB reads, one decode per batch.
 */
export function* readRecords(dir: string, options: ReadOptions = {}): Generator<AuditEvent> {
  for (const chain of listChains(dir)) yield* readRecordsOf(listSegments(chain.dir), options);
}

/** As `readRecords`, over the given segments only (`tail` reads the newest ones first). */
export function* readRecordsOf(
  segments: readonly SegmentFile[],
  options: ReadOptions = {},
): Generator<AuditEvent> {
  const since = options.since ?? -Infinity;
  const until = options.until ?? Infinity;
  for (const segment of segments) {
    for (const item of scanSegment(segment.path)) {
      if (item.kind === "break") {
        const { offset, problem, sequence } = item;
        options.onProblem?.({ segment: segment.name, offset, problem, sequence });
        continue;
      }
      const header = item.header;
      if (header.lastTime < since || header.firstTime >= until) continue;
      let records: AuditEvent[];
      try {
        records = decodeFrame(item);
      } catch {
        const where = { segment: segment.name, offset: item.offset, sequence: header.sequence };
        options.onProblem?.({ ...where, problem: "payload" });
        continue;
      }
      for (let i = 0; i < records.length; i++) yield records[i]!;
    }
  }
}
