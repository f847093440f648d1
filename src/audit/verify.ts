import { equalBytes, hashMatches, hmacOf, toHex, zeroHash } from "./frame.ts";
import { headHmacValid, readHead } from "./head-file.ts";
import { scanSegment } from "./scan.ts";
import { listSegments } from "./segment-files.ts";

/** The first point where the trail stops being provably whole. */
export interface ChainBreak {
  /** Segment file name, or `HEAD`. */
  readonly segment: string;
  /** Byte offset of the frame in the segment. */
  readonly offset: number;
  /** Batch sequence number at that point, when it could be read. */
  readonly sequence: number | null;
  readonly message: string;
}

export interface VerifyReport {
  readonly ok: boolean;
  readonly segments: number;
  readonly batches: number;
  readonly records: number;
  readonly firstSequence: number | null;
  readonly lastSequence: number | null;
  /** Whether batch HMACs were checked against a key. */
  readonly hmacChecked: boolean;
  readonly broken: ChainBreak | null;
  /** Facts worth knowing that are not breaks (retention, HEAD lagging after a crash). */
  readonly notes: string[];
}

/**
 * Walks every segment in order and checks each batch: framing and CRC, the hash over header
 * and payload, the link to the previous batch's hash, consecutive sequence numbers, the HMAC
 * when a key is given, and finally the `HEAD` checkpoint (which catches whole batches cut off
 * the end, or oldest segments deleted). Stops at the first break and reports where it is.
 */
export function verifyChain(dir: string, hmacKey: Uint8Array | null = null): VerifyReport {
  const notes: string[] = [];
  const segments = listSegments(dir);
  const head = readHead(dir);
  let batches = 0;
  let records = 0;
  let firstSequence: number | null = null;
  let lastSequence: number | null = null;
  let previousHash: Uint8Array | null = null;
  let hashAtHead: Uint8Array | null = null;
  let sawHmac = false;

  const report = (broken: ChainBreak | null): VerifyReport => ({
    ok: broken === null,
    segments: segments.length,
    batches,
    records,
    firstSequence,
    lastSequence,
    hmacChecked: hmacKey !== null,
    broken,
    notes,
  });

  for (const segment of segments) {
    let firstInSegment = true;
    for (const item of scanSegment(segment.path)) {
      const at = { segment: segment.name, offset: item.offset };
      if (item.kind === "break") {
        const message = breakMessage(item.problem);
        return report({ ...at, sequence: item.sequence ?? nextOf(lastSequence), message });
      }
      const header = item.header;
      const sequence = header.sequence;
      const fail = (message: string) => report({ ...at, sequence, message });

      if (firstInSegment && sequence !== segment.firstSequence) {
        return fail(`segment name says batch ${segment.firstSequence}, it starts at ${sequence}`);
      }
      firstInSegment = false;
      if (!hashMatches(item.bytes, header)) return fail("batch hash does not match its content");
      if (previousHash === null) {
        const problem = checkStart(sequence, header.previousHash, head, notes);
        if (problem) return fail(problem);
      } else {
        if (sequence !== lastSequence! + 1) {
          return fail(`batch ${sequence} follows batch ${lastSequence}: batches missing, moved`);
        }
        if (!equalBytes(header.previousHash, previousHash)) {
          return fail("previous-batch hash differs: a batch was removed, moved or replaced");
        }
      }
      if (header.hmac) sawHmac = true;
      if (hmacKey) {
        if (!header.hmac) return fail("batch carries no HMAC but a key was given");
        if (!equalBytes(header.hmac, hmacOf(hmacKey, header.hash))) {
          return fail("batch HMAC does not match the key");
        }
      }

      previousHash = header.hash.slice();
      firstSequence ??= sequence;
      lastSequence = sequence;
      batches++;
      records += header.recordCount;
      if (head && head !== "damaged" && sequence === head.lastSequence) hashAtHead = previousHash;
    }
  }

  if (sawHmac && !hmacKey) notes.push("batches carry HMACs; not checked (no key given)");
  return report(checkHead(head, { firstSequence, lastSequence, hashAtHead }, hmacKey, notes));
}

function checkStart(
  sequence: number,
  previousHash: Uint8Array,
  head: ReturnType<typeof readHead>,
  notes: string[],
): string | null {
  if (sequence === 1) {
    return equalBytes(previousHash, zeroHash) ? null : "first batch links to a predecessor";
  }
  if (head && head !== "damaged" && head.firstSequence < sequence) {
    return `batches ${head.firstSequence}..${sequence - 1} are missing (HEAD records them)`;
  }
  notes.push(`chain starts at batch ${sequence}; earlier batches were removed by retention`);
  return null;
}

interface ChainEnd {
  readonly firstSequence: number | null;
  readonly lastSequence: number | null;
  /** Hash of the batch HEAD names, when the walk passed it. */
  readonly hashAtHead: Uint8Array | null;
}

function checkHead(
  head: ReturnType<typeof readHead>,
  end: ChainEnd,
  hmacKey: Uint8Array | null,
  notes: string[],
): ChainBreak | null {
  const at = { segment: "HEAD", offset: 0 };
  if (head === null) {
    if (end.lastSequence !== null) notes.push("no HEAD checkpoint: cannot rule out truncation");
    return null;
  }
  if (head === "damaged") return { ...at, sequence: null, message: "HEAD checkpoint is damaged" };
  const sequence = head.lastSequence;
  if (hmacKey && !headHmacValid(head, hmacKey)) {
    return { ...at, sequence, message: "HEAD HMAC does not match the key" };
  }
  const last = end.lastSequence ?? 0;
  if (sequence > last) {
    const message = `HEAD records batch ${sequence}, the segments end at batch ${last}: truncated`;
    return { ...at, sequence, message };
  }
  if (sequence < (end.firstSequence ?? 1)) {
    notes.push(`HEAD names batch ${sequence}, older than the oldest batch kept`);
    return null;
  }
  if (sequence > 0 && (!end.hashAtHead || !equalBytes(end.hashAtHead, head.lastHash))) {
    const message = `HEAD hash ${toHex(head.lastHash).slice(0, 16)} is not batch ${sequence}'s`;
    return { ...at, sequence, message };
  }
  if (sequence < last) {
    notes.push(`HEAD lags at batch ${sequence} (the writer stopped before updating it)`);
  }
  return null;
}

function breakMessage(problem: "truncated" | "header" | "crc"): string {
  if (problem === "truncated") return "segment ends inside a batch (torn or truncated)";
  if (problem === "header") return "no valid batch header here (bytes inserted, cut or damaged)";
  return "batch CRC does not match (bytes changed)";
}

function nextOf(sequence: number | null): number | null {
  return sequence === null ? null : sequence + 1;
}
