import { ByteReader, ByteWriter, MalformedDatagram } from "./bytes.ts";
import { tagLength, type Keyring } from "./keyring.ts";

/** Wire format version; a datagram of another version is malformed to this node. */
export const protocolVersion = 1;
/** Largest datagram we send: below a 1,280-byte IPv6 minimum MTU, so it never fragments. */
export const maxDatagramBytes = 1_200;

/** What every datagram says about its sender, authenticated by the tag. */
export interface FrameHeader {
  readonly clusterId: string;
  readonly sender: string;
  /** The sender's boot instant (ms since the epoch): a restarted node has a larger one. */
  readonly incarnation: number;
  /** Per sender and incarnation, strictly increasing: a repeated or older value is a replay. */
  readonly seq: number;
  /** Sender's wall clock (ms since the epoch), checked against a wide skew window. */
  readonly timeMs: number;
}

export interface Frame extends FrameHeader {
  /** A view into the datagram: first byte is the message kind (messages.ts). */
  readonly payload: Uint8Array;
}

/**
 * `version | clusterId | sender | incarnation | seq | time | payload | tag`, where the tag is the
 * first 16 bytes of HMAC-SHA256 over everything before it.
 */
export function encodeFrame(header: FrameHeader, payload: Uint8Array, keyring: Keyring) {
  const writer = new ByteWriter(payload.length + 96);
  writer
    .u8(protocolVersion)
    .shortString(header.clusterId)
    .shortString(header.sender)
    .f64(header.incarnation)
    .f64(header.seq)
    .f64(header.timeMs)
    .u16(payload.length)
    .bytes(payload);
  const signed = writer.finish();
  const datagram = new Uint8Array(signed.length + tagLength);
  datagram.set(signed);
  datagram.set(keyring.sign(signed), signed.length);
  return datagram;
}

export type DecodeResult =
  | { readonly ok: true; readonly frame: Frame; readonly keyIndex: number }
  | { readonly ok: false; readonly reason: "malformed" | "foreign-cluster" | "forged" };

/**
 * Parses and authenticates a datagram. Nothing but the header's lengths is trusted before the
 * tag is verified, and the tag is verified before anything is returned.
 */
export function decodeFrame(data: Uint8Array, clusterId: string, keyring: Keyring): DecodeResult {
  if (data.length < 1 + 2 + 24 + 2 + tagLength) return { ok: false, reason: "malformed" };
  let frame: Frame;
  let end: number;
  try {
    const reader = new ByteReader(data);
    if (reader.u8() !== protocolVersion) return { ok: false, reason: "malformed" };
    const header = {
      clusterId: reader.shortString(),
      sender: reader.shortString(),
      incarnation: reader.f64(),
      seq: reader.f64(),
      timeMs: reader.f64(),
    };
    const payload = reader.bytes(reader.u16());
    end = reader.offset;
    if (data.length - end !== tagLength || payload.length === 0 || header.sender === "") {
      return { ok: false, reason: "malformed" };
    }
    if (!validNumbers(header)) return { ok: false, reason: "malformed" };
    frame = { ...header, payload };
  } catch (error) {
    if (error instanceof MalformedDatagram) return { ok: false, reason: "malformed" };
    throw error;
  }
  const keyIndex = keyring.verify(data.subarray(0, end), data.subarray(end));
  if (keyIndex < 0) return { ok: false, reason: "forged" };
  if (frame.clusterId !== clusterId) return { ok: false, reason: "foreign-cluster" };
  return { ok: true, frame, keyIndex };
}

function validNumbers(header: Omit<FrameHeader, "clusterId" | "sender">): boolean {
  return (
    Number.isSafeInteger(header.incarnation) &&
    Number.isSafeInteger(header.seq) &&
    header.seq >= 0 &&
    Number.isFinite(header.timeMs)
  );
}
