import type { AuditChain } from "../audit/chains.ts";
import type { AuditEvent } from "../audit/event.ts";
import { decodeFrame, readRecordsOf, type ReadProblem } from "../audit/reader.ts";
import { scanSegment } from "../audit/scan.ts";
import { listSegments, type SegmentFile } from "../audit/segment-files.ts";
import { jsonLine, OutputBuffer } from "./audit-output.ts";

export interface TailOptions {
  readonly lines: number;
  readonly follow: boolean;
  readonly matches: (record: AuditEvent) => boolean;
  readonly onProblem: (problem: ReadProblem) => void;
}

/**
 * Prints the newest matching records of every chain, oldest of them first; with `follow`,
 * keeps polling each chain's newest segment for whole new batches until interrupted.
 */
export async function tailChains(chains: readonly AuditChain[], options: TailOptions) {
  const out = new OutputBuffer(1);
  const newest = chains.flatMap((chain) => newestOf(chain, options));
  newest.sort((a, b) => a.time - b.time);
  for (const record of newest.slice(-options.lines)) out.write(jsonLine(record));
  out.flush();
  if (!options.follow) return;

  const cursors = chains.map((chain) => startCursor(chain));
  for (;;) {
    await Bun.sleep(250);
    for (const cursor of cursors) advance(cursor, options.matches, out);
    out.flush();
  }
}

/** The last `lines` matching records of one chain, reading newest segments first. */
function newestOf(chain: AuditChain, options: TailOptions): AuditEvent[] {
  const segments = listSegments(chain.dir);
  let found: AuditEvent[] = [];
  for (let i = segments.length - 1; i >= 0 && found.length < options.lines; i--) {
    const inSegment: AuditEvent[] = [];
    for (const record of readRecordsOf([segments[i]!], { onProblem: options.onProblem })) {
      if (options.matches(record)) inSegment.push(record);
    }
    found = [...inSegment, ...found];
  }
  return found.slice(-options.lines);
}

interface Cursor {
  readonly chain: AuditChain;
  segment: SegmentFile | null;
  offset: number;
}

function startCursor(chain: AuditChain): Cursor {
  const segment = listSegments(chain.dir).at(-1) ?? null;
  const cursor = { chain, segment, offset: 0 };
  if (segment) cursor.offset = followSegment(segment.path, 0, () => false, null);
  return cursor;
}

function advance(cursor: Cursor, matches: (r: AuditEvent) => boolean, out: OutputBuffer) {
  // List first: a newer segment exists only once the current one is complete.
  const all = listSegments(cursor.chain.dir);
  const current = cursor.segment;
  const next = current ? all.find((s) => s.firstSequence > current.firstSequence) : all[0];
  if (current) cursor.offset = followSegment(current.path, cursor.offset, matches, out);
  if (next) {
    cursor.segment = next;
    cursor.offset = followSegment(next.path, 0, matches, out);
  }
}

/** Prints the records of whole frames from `offset` on; returns where it stopped. */
function followSegment(
  path: string,
  offset: number,
  matches: (r: AuditEvent) => boolean,
  out: OutputBuffer | null,
): number {
  let position = offset;
  for (const item of scanSegment(path, offset)) {
    // A break at the end is a batch still being written: pick it up on the next poll.
    if (item.kind === "break") break;
    if (out) {
      for (const record of decodeFrame(item)) if (matches(record)) out.write(jsonLine(record));
    }
    position = item.offset + item.bytes.length;
  }
  return position;
}
