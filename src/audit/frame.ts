/**
 * The framing of one batch on disk. All integers are big-endian.
 *
 *   off  len  field
 *     0    4  magic "PCAB"
 *     4    1  format version (1)
 *     5    1  flags; bit 0 set when the HMAC field is filled
 *     6    2  header length (136)
 *     8    4  payload length in bytes
 *    12    4  record count
 *    16    8  batch sequence number: 1, 2, 3, … across all segments of a directory
 *    24    8  earliest record time (ms since the epoch)
 *    32    8  latest record time
 *    40   32  hash of the previous batch (zeros before the first batch)
 *    72   32  this batch's hash: SHA-256 over bytes 0..72 and the payload
 *   104   32  HMAC-SHA-256 of the batch hash with the configured key, or zeros
 *   136    n  payload (codec.ts)
 * 136+n    4  CRC-32 of every byte of the frame before it
 *
 * The CRC finds torn and damaged frames cheaply; the hash chain finds edits that fix up the
 * CRC, and removed, reordered or inserted batches; the HMAC stops someone without the key
 * from rebuilding the chain after an edit.
 */
export const frameMagic = 0x50434142; // "PCAB"
export const frameVersion = 1;
export const headerBytes = 136;
export const trailerBytes = 4;
export const hashBytes = 32;
/** Larger payloads are treated as damage, not allocated. */
export const maxPayloadBytes = 256 * 1024 * 1024;
const hashedHeaderBytes = 72;
const flagHmac = 1;

export const zeroHash = new Uint8Array(hashBytes);

/** The parsed header of a frame. */
export interface FrameHeader {
  readonly flags: number;
  readonly payloadBytes: number;
  readonly recordCount: number;
  readonly sequence: number;
  readonly firstTime: number;
  readonly lastTime: number;
  readonly previousHash: Uint8Array;
  readonly hash: Uint8Array;
  readonly hmac: Uint8Array | null;
}

export interface FrameInput {
  readonly sequence: number;
  readonly previousHash: Uint8Array;
  readonly payload: Uint8Array;
  readonly recordCount: number;
  readonly firstTime: number;
  readonly lastTime: number;
  /** HMAC key, when configured. */
  readonly hmacKey: Uint8Array | null;
}

/** Builds one frame; returns its bytes and its hash (the next frame's `previousHash`). */
export function encodeFrame(input: FrameInput): { bytes: Uint8Array; hash: Uint8Array } {
  const total = headerBytes + input.payload.length + trailerBytes;
  const bytes = new Uint8Array(total);
  const view = new DataView(bytes.buffer);
  view.setUint32(0, frameMagic);
  view.setUint8(4, frameVersion);
  view.setUint8(5, input.hmacKey ? flagHmac : 0);
  view.setUint16(6, headerBytes);
  view.setUint32(8, input.payload.length);
  view.setUint32(12, input.recordCount);
  view.setBigUint64(16, BigInt(input.sequence));
  view.setBigUint64(24, BigInt(Math.max(0, Math.trunc(input.firstTime))));
  view.setBigUint64(32, BigInt(Math.max(0, Math.trunc(input.lastTime))));
  bytes.set(input.previousHash, 40);
  bytes.set(input.payload, headerBytes);

  const hash = batchHash(bytes.subarray(0, hashedHeaderBytes), input.payload);
  bytes.set(hash, 72);
  if (input.hmacKey) bytes.set(hmacOf(input.hmacKey, hash), 104);
  view.setUint32(total - trailerBytes, Bun.hash.crc32(bytes.subarray(0, total - trailerBytes)));
  return { bytes, hash };
}

/**
 * Reads a header at `offset`. Returns null when the bytes there are not a frame header this
 * version understands (bad magic, version, header length, or an absurd payload length).
 */
export function parseFrameHeader(bytes: Uint8Array, offset: number): FrameHeader | null {
  if (bytes.length - offset < headerBytes) return null;
  const view = new DataView(bytes.buffer, bytes.byteOffset + offset, headerBytes);
  if (view.getUint32(0) !== frameMagic || view.getUint8(4) !== frameVersion) return null;
  if (view.getUint16(6) !== headerBytes) return null;
  const payloadBytes = view.getUint32(8);
  if (payloadBytes > maxPayloadBytes) return null;
  const flags = view.getUint8(5);
  const at = bytes.byteOffset + offset;
  return {
    flags,
    payloadBytes,
    recordCount: view.getUint32(12),
    sequence: Number(view.getBigUint64(16)),
    firstTime: Number(view.getBigUint64(24)),
    lastTime: Number(view.getBigUint64(32)),
    previousHash: new Uint8Array(bytes.buffer, at + 40, hashBytes),
    hash: new Uint8Array(bytes.buffer, at + 72, hashBytes),
    hmac: flags & flagHmac ? new Uint8Array(bytes.buffer, at + 104, hashBytes) : null,
  };
}

/** Whole frame length for a header. */
export function frameLength(header: FrameHeader): number {
  return headerBytes + header.payloadBytes + trailerBytes;
}

/** True when the frame's trailing CRC matches its bytes (`frame` is exactly one frame). */
export function crcMatches(frame: Uint8Array): boolean {
  const end = frame.length - trailerBytes;
  const stored = new DataView(frame.buffer, frame.byteOffset + end, trailerBytes).getUint32(0);
  return stored === Bun.hash.crc32(frame.subarray(0, end));
}

/** True when the hash field equals SHA-256 over the hashed header bytes and the payload. */
export function hashMatches(frame: Uint8Array, header: FrameHeader): boolean {
  const payload = frame.subarray(headerBytes, headerBytes + header.payloadBytes);
  return equalBytes(batchHash(frame.subarray(0, hashedHeaderBytes), payload), header.hash);
}

export function hmacOf(key: Uint8Array, hash: Uint8Array): Uint8Array {
  return new Bun.CryptoHasher("sha256", key).update(hash).digest() as Uint8Array;
}

function batchHash(head: Uint8Array, payload: Uint8Array): Uint8Array {
  return new Bun.CryptoHasher("sha256").update(head).update(payload).digest() as Uint8Array;
}

/** Constant-time for equal lengths, which is all this module compares. */
export function equalBytes(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  let difference = 0;
  for (let i = 0; i < a.length; i++) difference |= a[i]! ^ b[i]!;
  return difference === 0;
}

export function toHex(bytes: Uint8Array): string {
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.length).toString("hex");
}
