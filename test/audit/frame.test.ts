import { describe, expect, test } from "bun:test";
import { decodeRecords, encodeRecords } from "../../src/audit/codec.ts";
import {
  crcMatches,
  encodeFrame,
  hashMatches,
  headerBytes,
  hmacOf,
  parseFrameHeader,
  zeroHash,
} from "../../src/audit/frame.ts";
import { sampleEvent } from "./fixtures.ts";

function frameOf(count: number, hmacKey: Uint8Array | null = null) {
  const records = Array.from({ length: count }, (_, i) => sampleEvent(i));
  const payload = encodeRecords(records);
  const input = { sequence: 7, previousHash: zeroHash, payload, recordCount: count, hmacKey };
  return { records, ...encodeFrame({ ...input, firstTime: 10, lastTime: 20 }) };
}

describe("batch codec", () => {
  test("round-trips records, field names written once per batch", () => {
    const records = Array.from({ length: 100 }, (_, i) => sampleEvent(i));
    const payload = encodeRecords(records);
    expect(decodeRecords(payload)).toEqual(records);
    const text = Buffer.from(payload).toString("latin1");
    expect(text.split("credentialId").length - 1).toBe(1);
    // The record extension keeps a batch well under its JSON size.
    expect(payload.length).toBeLessThan(JSON.stringify(records).length * 0.6);
  });

  test("each payload decodes on its own, without earlier batches", () => {
    encodeRecords([sampleEvent(1)]);
    const second = encodeRecords([sampleEvent(2), sampleEvent(3)]);
    expect(decodeRecords(second).map((r) => r.requestId)).toEqual(["req-2", "req-3"]);
  });

  test("rejects a payload that is not an array of records", () => {
    expect(() => decodeRecords(encodeRecords("nope" as never))).toThrow(TypeError);
  });
});

describe("frame", () => {
  test("header fields read back as written", () => {
    const { bytes } = frameOf(3);
    const header = parseFrameHeader(bytes, 0)!;
    expect(header.sequence).toBe(7);
    expect(header.recordCount).toBe(3);
    expect(header.firstTime).toBe(10);
    expect(header.lastTime).toBe(20);
    expect(header.hmac).toBeNull();
    expect(bytes.length).toBe(headerBytes + header.payloadBytes + 4);
    expect(crcMatches(bytes)).toBe(true);
    expect(hashMatches(bytes, header)).toBe(true);
  });

  test("a changed byte anywhere fails the CRC", () => {
    const { bytes } = frameOf(3);
    for (const at of [0, 20, 50, headerBytes + 5, bytes.length - 1]) {
      const copy = bytes.slice();
      copy[at]! ^= 0x01;
      expect(crcMatches(copy)).toBe(false);
    }
  });

  test("a payload edit with a fixed-up CRC still fails the hash", () => {
    const { bytes } = frameOf(3);
    const copy = bytes.slice();
    copy[headerBytes + 10]! ^= 0x20;
    const end = copy.length - 4;
    new DataView(copy.buffer).setUint32(end, Bun.hash.crc32(copy.subarray(0, end)));
    expect(crcMatches(copy)).toBe(true);
    expect(hashMatches(copy, parseFrameHeader(copy, 0)!)).toBe(false);
  });

  test("carries an HMAC of the batch hash when a key is configured", () => {
    const key = new TextEncoder().encode("k".repeat(32));
    const { bytes, hash } = frameOf(2, key);
    const header = parseFrameHeader(bytes, 0)!;
    expect(header.hmac).not.toBeNull();
    expect(Buffer.from(header.hmac!)).toEqual(Buffer.from(hmacOf(key, hash)));
  });

  test("refuses headers with a wrong magic, version or absurd length", () => {
    const { bytes } = frameOf(1);
    const badMagic = bytes.slice();
    badMagic[0] = 0;
    expect(parseFrameHeader(badMagic, 0)).toBeNull();
    const badVersion = bytes.slice();
    badVersion[4] = 9;
    expect(parseFrameHeader(badVersion, 0)).toBeNull();
    const huge = bytes.slice();
    new DataView(huge.buffer).setUint32(8, 0xffffffff);
    expect(parseFrameHeader(huge, 0)).toBeNull();
    expect(parseFrameHeader(bytes.subarray(0, 100), 0)).toBeNull();
  });
});
