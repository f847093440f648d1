import { describe, expect, test } from "bun:test";
import { appendFileSync, readFileSync, statSync, writeFileSync } from "node:fs";
import { readFrames, readRecords } from "../../src/audit/reader.ts";
import { listSegments } from "../../src/audit/segment-files.ts";
import { createAuditTrail } from "../../src/audit/trail.ts";
import { verifyChain } from "../../src/audit/verify.ts";
import { captureLogger, configWith, sampleEvent, tempDir } from "./fixtures.ts";

async function writeSome(base: string, from: number, count: number) {
  const capture = captureLogger();
  const trail = createAuditTrail(configWith(base, { batchRecords: 10 }), capture.logger);
  for (let i = from; i < from + count; i++) trail.enqueue(sampleEvent(i));
  await trail.close();
  return { dir: trail.dir!, lines: capture.lines };
}

describe("start-up recovery", () => {
  test("a torn last batch is cut back, reported, and the chain continues", async () => {
    const base = tempDir();
    const { dir } = await writeSome(base, 0, 30);
    const segment = listSegments(dir).at(-1)!;
    const frames = [...readFrames(dir)].map((f) => ({ offset: f.frame.offset }));
    const whole = statSync(segment.path).size;
    // A crash mid-write: the start of a fourth batch, copied from the third, then nothing.
    const third = readFileSync(segment.path).subarray(frames[2]!.offset, frames[2]!.offset + 90);
    appendFileSync(segment.path, third);
    expect(verifyChain(dir).ok).toBe(false);

    const { lines } = await writeSome(base, 30, 20);
    const report = lines.find((l) => String(l.msg).includes("torn last batch"));
    expect(report).toMatchObject({ level: 40, offset: whole, bytesCut: 90, lastSequence: 3 });
    const verified = verifyChain(dir);
    expect(verified).toMatchObject({ ok: true, batches: 5, records: 50 });
    const ids = [...readRecords(dir)].map((r) => r.requestId);
    expect(ids).toEqual(Array.from({ length: 50 }, (_, i) => `req-${i}`));
  });

  test("a segment cut inside its header or with a zero-filled tail is cut back too", async () => {
    const base = tempDir();
    const { dir } = await writeSome(base, 0, 20);
    const segment = listSegments(dir).at(-1)!;
    const size = statSync(segment.path).size;
    // Power loss after the length was extended but before the data reached the disk.
    appendFileSync(segment.path, new Uint8Array(4096));
    const { lines } = await writeSome(base, 20, 10);
    expect(lines.some((l) => String(l.msg).includes("torn last batch"))).toBe(true);
    expect(verifyChain(dir)).toMatchObject({ ok: true, batches: 3 });
    expect(statSync(segment.path).size).toBeGreaterThan(size);
  });

  test("damage followed by valid batches is left as evidence and reported", async () => {
    const base = tempDir();
    const { dir } = await writeSome(base, 0, 40);
    const segment = listSegments(dir)[0]!;
    const frames = [...readFrames(dir)].map((f) => f.frame.offset);
    const bytes = readFileSync(segment.path);
    bytes[frames[1]! + 160]! ^= 0xff;
    writeFileSync(segment.path, bytes);

    const { lines } = await writeSome(base, 40, 10);
    const error = lines.find((l) => String(l.msg).includes("damaged before its end"));
    expect(error).toMatchObject({ level: 50, offset: frames[1], lastSequence: 4 });
    expect(readFileSync(segment.path)).toEqual(bytes);
    const segments = listSegments(dir);
    expect(segments.map((s) => s.firstSequence)).toEqual([1, 5]);
    expect(verifyChain(dir).broken).toMatchObject({ sequence: 2, offset: frames[1] });
  });

  test("restarting on an intact trail appends to the same segment", async () => {
    const base = tempDir();
    const { dir } = await writeSome(base, 0, 10);
    const { lines } = await writeSome(base, 10, 10);
    expect(lines.some((l) => l.level === 40 || l.level === 50)).toBe(false);
    expect(listSegments(dir).length).toBe(1);
    expect(verifyChain(dir)).toMatchObject({ ok: true, batches: 2, records: 20 });
  });
});
