import type { QueryRedactor } from "../log/redact-query.ts";
import { encodeRecords, sanitizeEvent } from "./codec.ts";
import type { AuditEvent } from "./event.ts";
import { encodeFrame } from "./frame.ts";

/** A framed batch ready to append; kept as is and retried while the sink is failing. */
export interface PendingFrame {
  readonly sequence: number;
  readonly bytes: Uint8Array;
  readonly hash: Uint8Array;
  readonly recordCount: number;
}

/** Sanitizes, encodes and frames one batch as the successor of `previousHash`. */
export function buildFrame(
  records: AuditEvent[],
  sequence: number,
  previousHash: Uint8Array,
  redactQuery: QueryRedactor,
  hmacKey: Uint8Array | null,
): PendingFrame {
  let firstTime = Number.MAX_SAFE_INTEGER;
  let lastTime = 0;
  for (let i = 0; i < records.length; i++) {
    const record = sanitizeEvent(records[i]!, redactQuery);
    if (record.time < firstTime) firstTime = record.time;
    if (record.time > lastTime) lastTime = record.time;
  }
  const payload = encodeRecords(records);
  const frame = encodeFrame({
    sequence,
    previousHash,
    payload,
    recordCount: records.length,
    firstTime: records.length > 0 ? firstTime : 0,
    lastTime,
    hmacKey,
  });
  return { sequence, bytes: frame.bytes, hash: frame.hash, recordCount: records.length };
}
