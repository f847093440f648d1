import { ByteWriter, MalformedDatagram } from "../cluster/bytes.ts";
import { keyHashLength } from "../cluster/keyring.ts";

/** hash (12) + cumulative count (f64) + demand (f32) + level (f32). */
export const counterEntryBytes = keyHashLength + 8 + 4 + 4;
/** Entries per datagram: 38 × 28 B + header and tag stays under 1,200 bytes. */
export const entriesPerDatagram = 38;

export interface CounterEntry {
  /** The body the entry was read from and where its 12 hash bytes start. */
  body: Uint8Array;
  hashAt: number;
  /** The hash as a 12-character latin-1 string (the limiter's map key). */
  hashKey: string;
  count: number;
  demand: number;
  level: number;
}

/** Packs counter entries into as many datagram bodies as needed. */
export class CounterBodyWriter {
  private writer: ByteWriter | null = null;
  private count = 0;
  readonly bodies: Uint8Array[] = [];

  add(hash: Uint8Array, count: number, demand: number, level: number): void {
    if (!this.writer) {
      this.writer = new ByteWriter(2 + entriesPerDatagram * counterEntryBytes);
      this.writer.u16(0);
      this.count = 0;
    }
    this.writer.bytes(hash).f64(count).f32(demand).f32(level);
    if (++this.count === entriesPerDatagram) this.flush();
  }

  finish(): Uint8Array[] {
    this.flush();
    return this.bodies;
  }

  private flush(): void {
    if (!this.writer) return;
    const body = this.writer.finish();
    new DataView(body.buffer).setUint16(0, this.count);
    this.bodies.push(body);
    this.writer = null;
  }
}

/** The map key for a key hash: its bytes as a latin-1 string. */
export function hashKeyOf(hash: Uint8Array): string {
  return Buffer.from(hash.buffer, hash.byteOffset, hash.byteLength).toString("latin1");
}

/**
 * Calls `visit` per entry (the same object each time: copy what you keep); throws
 * MalformedDatagram if the body does not parse exactly. Reads in place, no view per entry.
 */
export function readCounterBody(body: Uint8Array, visit: (entry: CounterEntry) => void): void {
  if (body.length < 2) throw new MalformedDatagram("counter body length");
  const view = new DataView(body.buffer, body.byteOffset, body.byteLength);
  const count = view.getUint16(0);
  if (count > entriesPerDatagram || body.length !== 2 + count * counterEntryBytes) {
    throw new MalformedDatagram("counter body length");
  }
  const text = Buffer.from(body.buffer, body.byteOffset, body.byteLength);
  const entry: CounterEntry = { body, hashAt: 0, hashKey: "", count: 0, demand: 0, level: 0 };
  for (let i = 0, at = 2; i < count; i++, at += counterEntryBytes) {
    entry.hashAt = at;
    entry.hashKey = text.toString("latin1", at, at + keyHashLength);
    entry.count = view.getFloat64(at + keyHashLength);
    entry.demand = view.getFloat32(at + keyHashLength + 8);
    entry.level = view.getFloat32(at + keyHashLength + 12);
    const sane = entry.count >= 0 && Number.isFinite(entry.count) && entry.demand >= 0;
    if (!sane || !Number.isFinite(entry.demand) || !Number.isFinite(entry.level)) {
      throw new MalformedDatagram("counter entry out of range");
    }
    visit(entry);
  }
}
