import { closeSync, fstatSync, openSync, readSync } from "node:fs";
import {
  crcMatches,
  frameLength,
  frameMagic,
  headerBytes,
  parseFrameHeader,
  type FrameHeader,
} from "./frame.ts";

/**
 * A whole frame whose CRC matched. `bytes` and the header's hash views are only valid until
 * the scan moves on: copy what must outlive the step.
 */
export interface ScannedFrame {
  readonly kind: "frame";
  readonly offset: number;
  readonly header: FrameHeader;
  readonly bytes: Uint8Array;
}

/** Where a segment stops making sense. The scan ends after it. */
export interface ScanBreak {
  readonly kind: "break";
  readonly offset: number;
  /** `truncated`: the file ends inside a frame; `header`: no frame header there; `crc`. */
  readonly problem: "truncated" | "header" | "crc";
  readonly sequence: number | null;
}

const chunkBytes = 4 * 1024 * 1024;

/**
 * Walks one segment frame by frame with large sequential reads, checking each frame's CRC.
 * Yields frames in file order and at most one break, which ends the walk. `from` must be the
 * offset of a frame (0, or where an earlier walk stopped).
 */
export function* scanSegment(path: string, from = 0): Generator<ScannedFrame | ScanBreak> {
  const fd = openSync(path, "r");
  try {
    yield* scanDescriptor(fd, fstatSync(fd).size, from);
  } finally {
    closeSync(fd);
  }
}

function* scanDescriptor(
  fd: number,
  size: number,
  from: number,
): Generator<ScannedFrame | ScanBreak> {
  let buffer = new Uint8Array(Math.min(chunkBytes, Math.max(size - from, headerBytes)));
  let bufferStart = from; // file offset of buffer[0]
  let filled = 0;
  let position = from; // file offset of the next frame

  const ensure = (bytes: number): boolean => {
    const needEnd = position - bufferStart + bytes;
    if (needEnd <= filled) return true;
    if (position + bytes > size) return false;
    // Move the unread tail to the front, growing the buffer for frames larger than a chunk.
    const keep = buffer.subarray(position - bufferStart, filled);
    const next = bytes > buffer.length ? new Uint8Array(bytes + chunkBytes) : buffer;
    next.set(keep, 0);
    buffer = next;
    bufferStart = position;
    filled = keep.length;
    while (filled < bytes) {
      const read = readSync(fd, buffer, filled, buffer.length - filled, bufferStart + filled);
      if (read === 0) return false;
      filled += read;
    }
    return true;
  };

  while (position < size) {
    if (!ensure(headerBytes)) {
      yield { kind: "break", offset: position, problem: "truncated", sequence: null };
      return;
    }
    const header = parseFrameHeader(buffer, position - bufferStart);
    if (!header) {
      yield { kind: "break", offset: position, problem: "header", sequence: null };
      return;
    }
    const length = frameLength(header);
    if (!ensure(length)) {
      yield { kind: "break", offset: position, problem: "truncated", sequence: header.sequence };
      return;
    }
    const start = position - bufferStart;
    const bytes = buffer.subarray(start, start + length);
    if (!crcMatches(bytes)) {
      yield { kind: "break", offset: position, problem: "crc", sequence: header.sequence };
      return;
    }
    yield { kind: "frame", offset: position, header: parseFrameHeader(bytes, 0)!, bytes };
    position += length;
  }
}

/** A CRC-valid frame found by searching past damage; its hashes are copies. */
export interface FoundFrame {
  readonly offset: number;
  readonly length: number;
  readonly sequence: number;
  readonly hash: Uint8Array;
  readonly firstTime: number;
}

/**
 * Searches `bytes` (the rest of a segment) after `offset` for whole, CRC-valid frames. Tells a
 * torn tail (nothing valid follows) from damage in the middle of a file (frames follow).
 */
export function framesAfter(bytes: Uint8Array, offset: number): FoundFrame[] {
  const found: FoundFrame[] = [];
  const m0 = (frameMagic >>> 24) & 255;
  const m1 = (frameMagic >>> 16) & 255;
  const m2 = (frameMagic >>> 8) & 255;
  for (let i = offset + 1; i + headerBytes <= bytes.length; i++) {
    if (bytes[i] !== m0 || bytes[i + 1] !== m1 || bytes[i + 2] !== m2) continue;
    const header = parseFrameHeader(bytes, i);
    if (!header || i + frameLength(header) > bytes.length) continue;
    const length = frameLength(header);
    if (!crcMatches(bytes.subarray(i, i + length))) continue;
    found.push({
      offset: i,
      length,
      sequence: header.sequence,
      hash: header.hash.slice(),
      firstTime: header.firstTime,
    });
    i += length - 1;
  }
  return found;
}
