import { readdirSync, statSync } from "node:fs";
import { join } from "node:path";

/**
 * Segment files are named by the sequence number of their first batch, zero-padded so that
 * name order is chain order: `audit-0000000000000001.seg`, `audit-0000000000004813.seg`.
 */
const segmentName = /^audit-(\d{16})\.seg$/;

export interface SegmentFile {
  readonly path: string;
  readonly name: string;
  /** Sequence number of the first batch the segment was opened for. */
  readonly firstSequence: number;
}

export function segmentFileName(firstSequence: number): string {
  return `audit-${String(firstSequence).padStart(16, "0")}.seg`;
}

/** The directory's segments in chain order; an absent directory has none. */
export function listSegments(dir: string): SegmentFile[] {
  let names: string[];
  try {
    names = readdirSync(dir);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === "ENOENT") return [];
    throw error;
  }
  const segments: SegmentFile[] = [];
  for (const name of names) {
    const match = segmentName.exec(name);
    if (match) segments.push({ path: join(dir, name), name, firstSequence: Number(match[1]) });
  }
  return segments.sort((a, b) => a.firstSequence - b.firstSequence);
}

/** Last modification time in ms, or null when the file is gone. */
export function modifiedAt(path: string): number | null {
  try {
    return statSync(path).mtimeMs;
  } catch {
    return null;
  }
}
