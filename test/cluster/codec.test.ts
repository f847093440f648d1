import { describe, expect, test } from "bun:test";
import { createHmac } from "node:crypto";
import { decodeFrame, encodeFrame, type FrameHeader } from "../../src/cluster/codec.ts";
import { Keyring, tagLength } from "../../src/cluster/keyring.ts";
import {
  decodeMessage,
  encodeMessage,
  MessageKind,
  type Message,
} from "../../src/cluster/messages.ts";
import { ReplayGuard } from "../../src/cluster/replay-guard.ts";
import { CounterBodyWriter, readCounterBody } from "../../src/limit/counter-wire.ts";

const keyA = "a".repeat(32);
const keyB = "b".repeat(32);
const header: FrameHeader = {
  clusterId: "prod",
  sender: "node-1",
  incarnation: 1_700_000_000_000,
  seq: 7,
  timeMs: 1_700_000_000_500,
};
const payload = encodeMessage({ kind: MessageKind.leave });

describe("datagram frame", () => {
  test("round-trips every header field and the payload", () => {
    const ring = new Keyring([keyA]);
    const decoded = decodeFrame(encodeFrame(header, payload, ring), "prod", ring);
    expect(decoded.ok).toBe(true);
    if (!decoded.ok) return;
    expect({ ...decoded.frame, payload: [...decoded.frame.payload] }).toEqual({
      ...header,
      payload: [...payload],
    });
  });

  test("the tag is the first 16 bytes of HMAC-SHA256 over everything before it", () => {
    const datagram = encodeFrame(header, payload, new Keyring([keyA]));
    const signed = datagram.subarray(0, datagram.length - tagLength);
    const expected = createHmac("sha256", keyA).update(signed).digest().subarray(0, tagLength);
    expect(Buffer.from(datagram.subarray(datagram.length - tagLength))).toEqual(expected);
  });

  test("flipping any single bit makes the datagram forged or malformed, never accepted", () => {
    const ring = new Keyring([keyA]);
    const datagram = encodeFrame(header, payload, ring);
    for (let i = 0; i < datagram.length; i++) {
      for (const bit of [0x01, 0x80]) {
        const copy = datagram.slice();
        copy[i]! ^= bit;
        const decoded = decodeFrame(copy, "prod", ring);
        expect(decoded.ok).toBe(false);
      }
    }
  });

  test("a datagram signed with another key is forged", () => {
    const datagram = encodeFrame(header, payload, new Keyring([keyB]));
    expect(decodeFrame(datagram, "prod", new Keyring([keyA]))).toEqual({
      ok: false,
      reason: "forged",
    });
  });

  test("during rotation both keys verify and only the first signs", () => {
    const rotating = new Keyring([keyB, keyA]);
    const fromOld = decodeFrame(
      encodeFrame(header, payload, new Keyring([keyA])),
      "prod",
      rotating,
    );
    expect(fromOld.ok && fromOld.keyIndex).toBe(1);
    const fromRotating = encodeFrame(header, payload, rotating);
    expect(decodeFrame(fromRotating, "prod", new Keyring([keyB])).ok).toBe(true);
    expect(decodeFrame(fromRotating, "prod", new Keyring([keyA])).ok).toBe(false);
  });

  test("a datagram of another cluster is dropped even with the right key", () => {
    const ring = new Keyring([keyA]);
    const datagram = encodeFrame({ ...header, clusterId: "staging" }, payload, ring);
    expect(decodeFrame(datagram, "prod", ring)).toEqual({ ok: false, reason: "foreign-cluster" });
  });

  test("truncated, padded, empty and wrong-version datagrams are malformed", () => {
    const ring = new Keyring([keyA]);
    const datagram = encodeFrame(header, payload, ring);
    const cases = [
      new Uint8Array(0),
      datagram.subarray(0, 20),
      datagram.subarray(0, datagram.length - 1),
      new Uint8Array([...datagram, 0]),
      Uint8Array.from(datagram, (b, i) => (i === 0 ? 2 : b)),
    ];
    for (const bad of cases) {
      const decoded = decodeFrame(bad, "prod", ring);
      expect(decoded.ok).toBe(false);
      if (!decoded.ok) expect(["malformed", "forged"]).toContain(decoded.reason);
    }
    expect(decodeFrame(datagram.subarray(0, 20), "prod", ring)).toEqual({
      ok: false,
      reason: "malformed",
    });
  });

  test("keyed hashes of key names differ by key, rule and name, and are 12 bytes", () => {
    const a = new Keyring([keyA]);
    const h = (ring: Keyring, rule: string, key: string) =>
      Buffer.from(ring.hashKeyName(rule, key)).toString("hex");
    expect(a.hashKeyName("r", "alice").length).toBe(12);
    expect(h(a, "r", "alice")).toBe(h(a, "r", "alice"));
    expect(h(a, "r", "alice")).not.toBe(h(a, "r", "bob"));
    expect(h(a, "r", "alice")).not.toBe(h(a, "s", "alice"));
    expect(h(a, "r", "alice")).not.toBe(h(new Keyring([keyB]), "r", "alice"));
    expect(h(a, "ra", "b")).not.toBe(h(a, "r", "ab"));
  });
});

describe("replay guard", () => {
  test("accepts increasing sequence numbers once and drops repeats as replayed", () => {
    const guard = new ReplayGuard(30_000);
    const now = header.timeMs;
    expect(guard.admit(header, now)).toBe("fresh");
    expect(guard.admit(header, now)).toBe("replayed");
    expect(guard.admit({ ...header, seq: 6 }, now)).toBe("replayed");
    expect(guard.admit({ ...header, seq: 8 }, now)).toBe("fresh");
  });

  test("a new incarnation starts a new sequence; an older one is stale", () => {
    const guard = new ReplayGuard(30_000);
    const now = header.timeMs;
    guard.admit({ ...header, seq: 500 }, now);
    expect(guard.admit({ ...header, incarnation: header.incarnation + 1, seq: 1 }, now)).toBe(
      "fresh",
    );
    expect(guard.admit({ ...header, seq: 501 }, now)).toBe("stale");
  });

  test("timestamps outside the skew window are stale", () => {
    const guard = new ReplayGuard(30_000);
    expect(guard.admit(header, header.timeMs + 30_001)).toBe("stale");
    expect(guard.admit(header, header.timeMs - 30_001)).toBe("stale");
    expect(guard.admit(header, header.timeMs + 29_000)).toBe("fresh");
  });

  test("senders are tracked separately", () => {
    const guard = new ReplayGuard(30_000);
    const now = header.timeMs;
    expect(guard.admit(header, now)).toBe("fresh");
    expect(guard.admit({ ...header, sender: "node-2" }, now)).toBe("fresh");
  });
});

describe("messages", () => {
  const samples: Message[] = [
    {
      kind: MessageKind.ping,
      probeId: 9,
      members: [{ id: "n2", host: "10.0.0.2", port: 7946, incarnation: 5, state: "suspect" }],
    },
    { kind: MessageKind.ack, probeId: 4_000_000_000, members: [] },
    {
      kind: MessageKind.pingRequest,
      probeId: 3,
      target: { id: "n3", host: "::1", port: 1, incarnation: 2, state: "alive" },
    },
    {
      kind: MessageKind.broadcast,
      messageId: 12,
      topic: "identity.revoke",
      body: new TextEncoder().encode('{"k":1}'),
    },
    { kind: MessageKind.leave },
  ];

  test("round-trip", () => {
    for (const message of samples) expect(decodeMessage(encodeMessage(message))).toEqual(message);
  });

  test("unknown kinds, trailing bytes and truncation are malformed", () => {
    expect(() => decodeMessage(new Uint8Array([99]))).toThrow("unknown message kind");
    for (const message of samples) {
      const bytes = encodeMessage(message);
      expect(() => decodeMessage(new Uint8Array([...bytes, 1]))).toThrow();
      if (bytes.length > 1)
        expect(() => decodeMessage(bytes.subarray(0, bytes.length - 1))).toThrow();
    }
  });

  test("counter bodies hold 38 entries each and round-trip", () => {
    const writer = new CounterBodyWriter();
    for (let i = 0; i < 100; i++) writer.add(new Uint8Array(12).fill(i), i * 10, i / 2, 300 - i);
    const bodies = writer.finish();
    expect(bodies.map((b) => b.length)).toEqual([2 + 38 * 28, 2 + 38 * 28, 2 + 24 * 28]);
    const seen: number[] = [];
    for (const body of bodies)
      readCounterBody(body, (e) => seen.push(e.count, e.body[e.hashAt]!, e.level));
    expect(seen.slice(0, 6)).toEqual([0, 0, 300, 10, 1, 299]);
    expect(seen.length).toBe(300);
    expect(() => readCounterBody(bodies[2]!.subarray(0, 30), () => {})).toThrow();
  });
});
