import { closeSync, openSync, readFileSync, writeSync } from "node:fs";
import { join } from "node:path";
import { equalBytes, hashBytes, hmacOf } from "./frame.ts";

/**
 * The `HEAD` checkpoint beside the segments: the first and last batch on disk and the last
 * batch's hash, rewritten in place after every batch. The hash chain alone cannot tell that
 * whole batches were cut off the end, or that the oldest segments were deleted; comparing the
 * segments with HEAD can. With an HMAC key, HEAD is authenticated like the batches.
 *
 *   off len  field (big-endian)
 *     0   4  magic "PCAH"
 *     4   1  version (1)
 *     5   1  flags; bit 0 set when the HMAC field is filled
 *     6   2  zero
 *     8   8  first sequence still on disk (retention moves it forward)
 *    16   8  last sequence written
 *    24  32  hash of the last batch
 *    56  32  HMAC-SHA-256 over bytes 0..56, or zeros
 *    88   4  CRC-32 of bytes 0..88
 */
const headMagic = 0x50434148; // "PCAH"
const headLength = 92;

export const headFileName = "HEAD";

export interface HeadState {
  readonly firstSequence: number;
  readonly lastSequence: number;
  readonly lastHash: Uint8Array;
  /** Null when HEAD carries no HMAC. */
  readonly hmac: Uint8Array | null;
}

export function encodeHead(state: Omit<HeadState, "hmac">, key: Uint8Array | null): Uint8Array {
  const bytes = new Uint8Array(headLength);
  const view = new DataView(bytes.buffer);
  view.setUint32(0, headMagic);
  view.setUint8(4, 1);
  view.setUint8(5, key ? 1 : 0);
  view.setBigUint64(8, BigInt(state.firstSequence));
  view.setBigUint64(16, BigInt(state.lastSequence));
  bytes.set(state.lastHash, 24);
  if (key) bytes.set(hmacOf(key, bytes.subarray(0, 56)), 56);
  view.setUint32(88, Bun.hash.crc32(bytes.subarray(0, 88)));
  return bytes;
}

/** Reads HEAD; null when absent, "damaged" when it is not a valid checkpoint. */
export function readHead(dir: string): HeadState | null | "damaged" {
  let bytes: Uint8Array;
  try {
    bytes = readFileSync(join(dir, headFileName));
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === "ENOENT") return null;
    throw error;
  }
  if (bytes.length !== headLength) return "damaged";
  const view = new DataView(bytes.buffer, bytes.byteOffset, headLength);
  if (view.getUint32(0) !== headMagic || view.getUint8(4) !== 1) return "damaged";
  if (view.getUint32(88) !== Bun.hash.crc32(bytes.subarray(0, 88))) return "damaged";
  return {
    firstSequence: Number(view.getBigUint64(8)),
    lastSequence: Number(view.getBigUint64(16)),
    lastHash: bytes.slice(24, 24 + hashBytes),
    hmac: view.getUint8(5) & 1 ? bytes.slice(56, 88) : null,
  };
}

/** Whether HEAD's HMAC is the one `key` gives. */
export function headHmacValid(state: HeadState, key: Uint8Array): boolean {
  if (!state.hmac) return false;
  const expected = encodeHead(state, key).subarray(56, 88);
  return equalBytes(expected, state.hmac);
}

/** Keeps HEAD open and overwrites it in place; one small positional write per batch. */
export class HeadWriter {
  private fd: number;

  constructor(
    private readonly dir: string,
    private readonly key: Uint8Array | null,
  ) {
    this.fd = openSync(join(dir, headFileName), "w");
  }

  write(state: Omit<HeadState, "hmac">): void {
    writeSync(this.fd, encodeHead(state, this.key), 0, headLength, 0);
  }

  close(): void {
    closeSync(this.fd);
  }
}
