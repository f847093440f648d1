const encoder = new TextEncoder();
const decoder = new TextDecoder("utf-8", { fatal: true });

/** Raised by ByteReader on truncated or inconsistent input; callers count it as malformed. */
export class MalformedDatagram extends Error {
  override readonly name = "MalformedDatagram";
}

/** Appends big-endian fields to a growable buffer. */
export class ByteWriter {
  private buffer: Uint8Array;
  private view: DataView;
  length = 0;

  constructor(initial = 256) {
    this.buffer = new Uint8Array(initial);
    this.view = new DataView(this.buffer.buffer);
  }

  u8(value: number): this {
    this.room(1).view.setUint8(this.length++, value);
    return this;
  }

  u16(value: number): this {
    this.room(2).view.setUint16(this.length, value);
    this.length += 2;
    return this;
  }

  u32(value: number): this {
    this.room(4).view.setUint32(this.length, value);
    this.length += 4;
    return this;
  }

  f32(value: number): this {
    this.room(4).view.setFloat32(this.length, value);
    this.length += 4;
    return this;
  }

  f64(value: number): this {
    this.room(8).view.setFloat64(this.length, value);
    this.length += 8;
    return this;
  }

  bytes(value: Uint8Array): this {
    this.room(value.length).buffer.set(value, this.length);
    this.length += value.length;
    return this;
  }

  /** A UTF-8 string of at most 255 bytes, length-prefixed with one byte. */
  shortString(value: string): this {
    const bytes = encoder.encode(value);
    if (bytes.length > 255) throw new TypeError("string longer than 255 bytes");
    return this.u8(bytes.length).bytes(bytes);
  }

  /** A copy of what was written. */
  finish(): Uint8Array {
    return this.buffer.slice(0, this.length);
  }

  private room(extra: number): this {
    if (this.length + extra <= this.buffer.length) return this;
    const next = new Uint8Array(Math.max(this.buffer.length * 2, this.length + extra));
    next.set(this.buffer.subarray(0, this.length));
    this.buffer = next;
    this.view = new DataView(next.buffer);
    return this;
  }
}

/** Reads big-endian fields; throws MalformedDatagram instead of reading past the end. */
export class ByteReader {
  private readonly view: DataView;
  offset = 0;

  constructor(private readonly data: Uint8Array) {
    this.view = new DataView(data.buffer, data.byteOffset, data.byteLength);
  }

  get remaining(): number {
    return this.data.length - this.offset;
  }

  u8(): number {
    this.need(1);
    return this.view.getUint8(this.offset++);
  }

  u16(): number {
    this.need(2);
    const value = this.view.getUint16(this.offset);
    this.offset += 2;
    return value;
  }

  u32(): number {
    this.need(4);
    const value = this.view.getUint32(this.offset);
    this.offset += 4;
    return value;
  }

  f32(): number {
    this.need(4);
    const value = this.view.getFloat32(this.offset);
    this.offset += 4;
    return value;
  }

  f64(): number {
    this.need(8);
    const value = this.view.getFloat64(this.offset);
    this.offset += 8;
    return value;
  }

  /** A view (not a copy) of the next `length` bytes. */
  bytes(length: number): Uint8Array {
    this.need(length);
    const value = this.data.subarray(this.offset, this.offset + length);
    this.offset += length;
    return value;
  }

  shortString(): string {
    const bytes = this.bytes(this.u8());
    try {
      return decoder.decode(bytes);
    } catch {
      throw new MalformedDatagram("string is not UTF-8");
    }
  }

  private need(length: number): void {
    if (this.offset + length > this.data.length) throw new MalformedDatagram("truncated datagram");
  }
}
