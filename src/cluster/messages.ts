import { ByteReader, ByteWriter, MalformedDatagram } from "./bytes.ts";

/** First payload byte: what the datagram carries. */
export const MessageKind = {
  ping: 1,
  ack: 2,
  pingRequest: 3,
  counters: 4,
  broadcast: 5,
  leave: 6,
} as const;

export type MemberStateName = "alive" | "suspect" | "dead";
const stateCodes: readonly MemberStateName[] = ["alive", "suspect", "dead"];

/** A member as one node tells another about it (piggybacked on pings and acks). */
export interface MemberRumor {
  readonly id: string;
  readonly host: string;
  readonly port: number;
  readonly incarnation: number;
  readonly state: MemberStateName;
}

export type Message =
  | { kind: typeof MessageKind.ping; probeId: number; members: MemberRumor[] }
  | { kind: typeof MessageKind.ack; probeId: number; members: MemberRumor[] }
  | { kind: typeof MessageKind.pingRequest; probeId: number; target: MemberRumor }
  | { kind: typeof MessageKind.counters; body: Uint8Array }
  | { kind: typeof MessageKind.broadcast; messageId: number; topic: string; body: Uint8Array }
  | { kind: typeof MessageKind.leave };

/** Rumors carried per ping or ack; enough for small clusters to learn everyone in one round. */
export const maxRumors = 16;

export function encodeMessage(message: Message): Uint8Array {
  const writer = new ByteWriter(128).u8(message.kind);
  switch (message.kind) {
    case MessageKind.ping:
    case MessageKind.ack:
      writer.u32(message.probeId).u8(Math.min(message.members.length, maxRumors));
      for (const rumor of message.members.slice(0, maxRumors)) writeRumor(writer, rumor);
      break;
    case MessageKind.pingRequest:
      writeRumor(writer.u32(message.probeId), message.target);
      break;
    case MessageKind.counters:
      writer.bytes(message.body);
      break;
    case MessageKind.broadcast:
      writer.u32(message.messageId).shortString(message.topic).u16(message.body.length);
      writer.bytes(message.body);
      break;
    case MessageKind.leave:
      break;
  }
  return writer.finish();
}

/** Throws MalformedDatagram on anything that does not parse exactly. */
export function decodeMessage(payload: Uint8Array): Message {
  const reader = new ByteReader(payload);
  const kind = reader.u8();
  let message: Message;
  switch (kind) {
    case MessageKind.ping:
    case MessageKind.ack: {
      const probeId = reader.u32();
      const count = reader.u8();
      if (count > maxRumors) throw new MalformedDatagram("too many rumors");
      const members = Array.from({ length: count }, () => readRumor(reader));
      message = { kind, probeId, members };
      break;
    }
    case MessageKind.pingRequest:
      message = { kind, probeId: reader.u32(), target: readRumor(reader) };
      break;
    case MessageKind.counters:
      return { kind, body: reader.bytes(reader.remaining) };
    case MessageKind.broadcast:
      message = {
        kind,
        messageId: reader.u32(),
        topic: reader.shortString(),
        body: reader.bytes(reader.u16()),
      };
      break;
    case MessageKind.leave:
      message = { kind };
      break;
    default:
      throw new MalformedDatagram("unknown message kind");
  }
  if (reader.remaining !== 0) throw new MalformedDatagram("trailing bytes");
  return message;
}

function writeRumor(writer: ByteWriter, rumor: MemberRumor) {
  writer.shortString(rumor.id).shortString(rumor.host).u16(rumor.port).f64(rumor.incarnation);
  writer.u8(stateCodes.indexOf(rumor.state));
}

function readRumor(reader: ByteReader): MemberRumor {
  const id = reader.shortString();
  const host = reader.shortString();
  const port = reader.u16();
  const incarnation = reader.f64();
  const state = stateCodes[reader.u8()];
  if (!state || id === "" || !Number.isSafeInteger(incarnation)) {
    throw new MalformedDatagram("bad member rumor");
  }
  return { id, host, port, incarnation, state };
}
