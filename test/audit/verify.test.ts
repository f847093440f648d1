import { describe, expect, test } from "bun:test";
import { readFileSync, unlinkSync, writeFileSync } from "node:fs";
import { readFrames, readRecords } from "../../src/audit/reader.ts";
import { listSegments } from "../../src/audit/segment-files.ts";
import { createAuditTrail } from "../../src/audit/trail.ts";
import { verifyChain } from "../../src/audit/verify.ts";
import { captureLogger, configWith, sampleEvent, tempDir } from "./fixtures.ts";

/** Writes `batches` batches of 10 records and returns the audit dir and frame positions. */
async function writeTrail(batches: number, audit: Record<string, unknown> = {}) {
  const base = tempDir();
  const config = configWith(base, { batchRecords: 10, ...audit });
  const trail = createAuditTrail(config, captureLogger().logger);
  for (let i = 0; i < batches * 10; i++) trail.enqueue(sampleEvent(i));
  await trail.close();
  const dir = trail.dir!;
  const frames = [...readFrames(dir)].map(({ segment, frame }) => ({
    path: segment.path,
    segment: segment.name,
    offset: frame.offset,
    length: frame.bytes.length,
    sequence: frame.header.sequence,
  }));
  return { dir, frames };
}

describe("verify", () => {
  test("accepts an intact trail and counts its batches and records", async () => {
    const { dir, frames } = await writeTrail(5);
    expect(frames.map((f) => f.sequence)).toEqual([1, 2, 3, 4, 5]);
    const report = verifyChain(dir);
    expect(report).toMatchObject({ ok: true, batches: 5, records: 50, broken: null });
    expect([...readRecords(dir)].map((r) => r.requestId)).toEqual(
      Array.from({ length: 50 }, (_, i) => `req-${i}`),
    );
  });

  test("an edited byte fails at the edited batch", async () => {
    const { dir, frames } = await writeTrail(5);
    const target = frames[2]!;
    const bytes = readFileSync(target.path);
    bytes[target.offset + 200]! ^= 0x04;
    writeFileSync(target.path, bytes);
    const report = verifyChain(dir);
    expect(report.ok).toBe(false);
    expect(report.broken).toMatchObject({ offset: target.offset, sequence: 3 });
    expect(report.broken!.message).toContain("CRC");
    expect(report.batches).toBe(2);
  });

  test("an edit whose CRC was fixed up fails on the batch hash", async () => {
    const { dir, frames } = await writeTrail(4);
    const target = frames[1]!;
    const bytes = readFileSync(target.path);
    bytes[target.offset + 180]! ^= 0x04;
    const end = target.offset + target.length - 4;
    bytes.writeUInt32BE(Bun.hash.crc32(bytes.subarray(target.offset, end)), end);
    writeFileSync(target.path, bytes);
    expect(verifyChain(dir).broken).toMatchObject({ sequence: 2, offset: target.offset });
    expect(verifyChain(dir).broken!.message).toContain("hash");
  });

  test("a deleted batch fails at the batch that now follows the gap", async () => {
    const { dir, frames } = await writeTrail(5);
    const gone = frames[1]!;
    const bytes = readFileSync(gone.path);
    const cut = Buffer.concat([
      bytes.subarray(0, gone.offset),
      bytes.subarray(gone.offset + gone.length),
    ]);
    writeFileSync(gone.path, cut);
    const broken = verifyChain(dir).broken!;
    expect(broken).toMatchObject({ offset: gone.offset, sequence: 3 });
    expect(broken.message).toContain("follows batch 1");
  });

  test("a deleted byte range inside a batch fails at that batch", async () => {
    const { dir, frames } = await writeTrail(3);
    const target = frames[1]!;
    const bytes = readFileSync(target.path);
    const at = target.offset + 150;
    writeFileSync(target.path, Buffer.concat([bytes.subarray(0, at), bytes.subarray(at + 7)]));
    expect(verifyChain(dir).broken).toMatchObject({ offset: target.offset, sequence: 2 });
  });

  test("two swapped batches fail where the order breaks", async () => {
    const { dir, frames } = await writeTrail(4);
    const [a, b] = [frames[1]!, frames[2]!];
    const bytes = readFileSync(a.path);
    const swapped = Buffer.concat([
      bytes.subarray(0, a.offset),
      bytes.subarray(b.offset, b.offset + b.length),
      bytes.subarray(a.offset, a.offset + a.length),
      bytes.subarray(b.offset + b.length),
    ]);
    writeFileSync(a.path, swapped);
    const broken = verifyChain(dir).broken!;
    expect(broken).toMatchObject({ offset: a.offset, sequence: 3 });
  });

  test("whole batches cut off the end are caught by HEAD", async () => {
    const { dir, frames } = await writeTrail(4);
    const last = frames[3]!;
    writeFileSync(last.path, readFileSync(last.path).subarray(0, last.offset));
    const report = verifyChain(dir);
    expect(report.broken).toMatchObject({ segment: "HEAD", sequence: 4 });
    expect(report.broken!.message).toContain("truncated");
  });

  test("a torn last batch is reported where it starts", async () => {
    const { dir, frames } = await writeTrail(3);
    const last = frames[2]!;
    writeFileSync(last.path, readFileSync(last.path).subarray(0, last.offset + 50));
    expect(verifyChain(dir).broken).toMatchObject({ offset: last.offset, sequence: 3 });
  });

  test("a deleted oldest segment is caught; segments removed by retention are not", async () => {
    // 64 KiB segments (the schema's minimum) roll over every ~20 batches of 10 records.
    const { dir } = await writeTrail(120, { segmentMaxBytes: 64 * 1024 });
    const segments = listSegments(dir);
    expect(segments.length).toBeGreaterThan(2);
    expect(verifyChain(dir).ok).toBe(true);
    unlinkSync(segments[0]!.path);
    const report = verifyChain(dir);
    expect(report.broken!.message).toContain("missing");
    expect(report.broken!.segment).toBe(segments[1]!.name);

    const retention = { maxSegments: 2 };
    const kept = await writeTrail(120, { segmentMaxBytes: 64 * 1024, retention });
    const remaining = listSegments(kept.dir);
    expect(remaining.length).toBe(2);
    const retained = verifyChain(kept.dir);
    expect(retained.ok).toBe(true);
    expect(retained.firstSequence).toBe(remaining[0]!.firstSequence);
    expect(retained.notes.join(" ")).toContain("removed by retention");
  });

  test("with a key, a chain rebuilt without it fails at its first batch", async () => {
    const key = "an-hmac-key-of-at-least-32-chars!";
    const keyed = await writeTrail(3, { hmacKey: key });
    const bytesKey = new TextEncoder().encode(key);
    expect(verifyChain(keyed.dir, bytesKey).ok).toBe(true);
    expect(verifyChain(keyed.dir, new TextEncoder().encode("x".repeat(32))).broken).toMatchObject({
      sequence: 1,
      offset: 0,
    });
    expect(verifyChain(keyed.dir).notes.join(" ")).toContain("not checked");

    const unkeyed = await writeTrail(3);
    const report = verifyChain(unkeyed.dir, bytesKey);
    expect(report.broken!.message).toContain("no HMAC");
  });
});
