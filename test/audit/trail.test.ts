import { describe, expect, test } from "bun:test";
import { existsSync, mkdirSync, rmSync, utimesSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { readRecords } from "../../src/audit/reader.ts";
import { listSegments } from "../../src/audit/segment-files.ts";
import { AuditStartError, createAuditTrail } from "../../src/audit/trail.ts";
import { verifyChain } from "../../src/audit/verify.ts";
import type { RequestContext } from "../../src/server/context.ts";
import { captureLogger, configWith, sampleEvent, tempDir } from "./fixtures.ts";

function trailWith(audit: Record<string, unknown>) {
  const base = tempDir();
  const capture = captureLogger();
  const trail = createAuditTrail(configWith(base, audit), capture.logger);
  return { trail, base, lines: capture.lines };
}

async function waitUntil(condition: () => boolean, timeoutMs = 3000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error("condition not met in time");
    await Bun.sleep(10);
  }
}

describe("audit trail", () => {
  test("writes a batch as soon as it is full, and the rest on flush", async () => {
    const { trail } = trailWith({ batchRecords: 10, batchAgeMs: 60_000 });
    for (let i = 0; i < 25; i++) trail.enqueue(sampleEvent(i));
    expect(trail.stats().batchesWritten).toBe(0);
    await waitUntil(() => trail.stats().batchesWritten === 2);
    expect(trail.stats()).toMatchObject({ recordsWritten: 20, queued: 5 });
    await trail.flush();
    expect(trail.stats()).toMatchObject({ batchesWritten: 3, recordsWritten: 25, queued: 0 });
    await trail.close();
  });

  test("writes a partial batch once its oldest record reaches the batch age", async () => {
    const { trail } = trailWith({ batchRecords: 1000, batchAgeMs: 30 });
    for (let i = 0; i < 3; i++) trail.enqueue(sampleEvent(i));
    await waitUntil(() => trail.stats().batchesWritten === 1);
    expect(trail.stats().recordsWritten).toBe(3);
    await trail.close();
  });

  test("close drains every queued record", async () => {
    const { trail } = trailWith({ batchRecords: 1000, batchAgeMs: 60_000 });
    for (let i = 0; i < 2500; i++) trail.enqueue(sampleEvent(i));
    await trail.close();
    const ids = [...readRecords(trail.dir!)].map((r) => r.requestId);
    expect(ids.length).toBe(2500);
    expect(new Set(ids).size).toBe(2500);
    expect(verifyChain(trail.dir!)).toMatchObject({ ok: true, batches: 3 });
  });

  test("fail-closed refuses admission while the queue is full", async () => {
    const { trail } = trailWith({ queueCapacity: 5, batchRecords: 1000, batchAgeMs: 60_000 });
    for (let i = 0; i < 4; i++) trail.enqueue(sampleEvent(i));
    expect(trail.admit()).toBe(true);
    trail.enqueue(sampleEvent(4));
    expect(trail.admit()).toBe(false);
    // Records of requests already admitted are still kept, up to twice the capacity.
    for (let i = 5; i < 12; i++) trail.enqueue(sampleEvent(i));
    expect(trail.stats()).toMatchObject({ queued: 10, recordsDropped: 2 });
    await trail.flush();
    expect(trail.admit()).toBe(true);
    await trail.close();
  });

  test("fail-open admits everything and counts each dropped record", async () => {
    const { trail, lines } = trailWith({
      onError: "fail-open",
      queueCapacity: 5,
      batchRecords: 1000,
      batchAgeMs: 60_000,
    });
    for (let i = 0; i < 8; i++) trail.enqueue(sampleEvent(i));
    expect(trail.admit()).toBe(true);
    expect(trail.stats()).toMatchObject({ queued: 5, recordsDropped: 3 });
    expect(lines.some((l) => l.level === 40 && String(l.msg).includes("dropped"))).toBe(true);
    await trail.close();
  });

  test("a replaced audit directory fails the sink until it is back", async () => {
    const { trail, lines } = trailWith({ batchRecords: 1000, batchAgeMs: 20 });
    const dir = trail.dir!;
    trail.enqueue(sampleEvent(0));
    await waitUntil(() => trail.stats().batchesWritten === 1);

    rmSync(dir, { recursive: true });
    writeFileSync(dir, "not a directory");
    await waitUntil(() => !trail.stats().sinkHealthy);
    expect(trail.admit()).toBe(false);
    const error = lines.find((l) => l.level === 50 && String(l.msg).includes("sink failing"));
    expect(error).toBeDefined();
    trail.enqueue(sampleEvent(1));
    trail.enqueue(sampleEvent(2));
    await Bun.sleep(100);
    expect(trail.stats()).toMatchObject({ queued: 2, recordsWritten: 1 });

    rmSync(dir);
    mkdirSync(dir);
    await waitUntil(() => trail.stats().sinkHealthy && trail.stats().recordsWritten === 3);
    expect(trail.admit()).toBe(true);
    expect(lines.some((l) => String(l.msg).includes("sink recovered"))).toBe(true);
    await trail.close();
    expect([...readRecords(dir)].map((r) => r.requestId)).toEqual(["req-1", "req-2"]);
    // The first segment went with the old directory: verify says so instead of passing.
    expect(verifyChain(dir).broken!.message).toContain("missing");
  });

  test("rotates segments by age and keeps the chain across them", async () => {
    const { trail } = trailWith({ batchRecords: 5, batchAgeMs: 10, segmentMaxAgeMs: 1000 });
    for (let i = 0; i < 5; i++) trail.enqueue(sampleEvent(i));
    await trail.flush();
    await Bun.sleep(1050);
    for (let i = 5; i < 10; i++) trail.enqueue(sampleEvent(i));
    await trail.close();
    expect(listSegments(trail.dir!).map((s) => s.firstSequence)).toEqual([1, 2]);
    expect(verifyChain(trail.dir!)).toMatchObject({ ok: true, batches: 2, records: 10 });
  });

  test("retention by age removes old closed segments only, and verify accepts it", async () => {
    const base = tempDir();
    const first = createAuditTrail(
      configWith(base, { batchRecords: 10, segmentMaxBytes: 64 * 1024 }),
      captureLogger().logger,
    );
    for (let i = 0; i < 1200; i++) first.enqueue(sampleEvent(i));
    await first.close();
    const segments = listSegments(first.dir!);
    expect(segments.length).toBeGreaterThan(3);
    const twoDaysAgo = (Date.now() - 2 * 86_400_000) / 1000;
    for (const old of segments.slice(0, 2)) utimesSync(old.path, twoDaysAgo, twoDaysAgo);

    const capture = captureLogger();
    const retention = { maxAgeMs: 86_400_000 };
    const second = createAuditTrail(configWith(base, { retention }), capture.logger);
    await second.close();
    const kept = listSegments(first.dir!);
    expect(kept.map((s) => s.name)).toEqual(segments.slice(2).map((s) => s.name));
    expect(capture.lines.filter((l) => String(l.msg).includes("retention")).length).toBe(2);
    const report = verifyChain(first.dir!);
    expect(report).toMatchObject({ ok: true, firstSequence: kept[0]!.firstSequence });
  });

  test("records from a context, with credentials and control characters removed", async () => {
    const { trail } = trailWith({ batchRecords: 10 });
    const ctx = {
      requestId: "rid-1",
      method: "GET",
      host: "gw.test",
      path: "/v1/orders/\n{\"forged\":true}",
      query: "?q=1&apikey=gwk_secret_value&Access_Token=eyJx.eyJy.z",
      clientAddress: "10.0.0.9",
      receivedAtMs: 1_700_000_000_123,
      route: { id: "orders" },
      identity: {
        subject: "alice",
        kind: "jwt",
        credentialId: "jti-42",
        tenant: "t1",
        actorChain: ["agent-7"],
      },
      ruleId: "rule-1",
      reason: null,
      limitOutcome: "allowed",
      reportOnly: null,
      upstreamTarget: "http://127.0.0.1:9001",
      upstreamError: null,
    } as unknown as RequestContext;
    const outcome = { status: 200, bytesIn: 0, bytesOut: 10, durationMs: 2.5 };
    trail.record(ctx, { ...outcome, decision: "allow" });
    await trail.close();
    const [record] = [...readRecords(trail.dir!)];
    expect(record).toEqual({
      time: 1_700_000_000_123,
      requestId: "rid-1",
      node: "node-test",
      client: "10.0.0.9",
      subject: "alice",
      identityKind: "jwt",
      credentialId: "jti-42",
      tenant: "t1",
      actorChain: ["agent-7"],
      route: "orders",
      method: "GET",
      host: "gw.test",
      path: '/v1/orders/\\u000a{"forged":true}',
      query: "?q=1&apikey=REDACTED&Access_Token=REDACTED",
      decision: "allow",
      ruleId: "rule-1",
      reason: null,
      limit: "allowed",
      reportOnly: null,
      upstream: "http://127.0.0.1:9001",
      upstreamError: null,
      status: 200,
      bytesIn: 0,
      bytesOut: 10,
      durationMs: 2.5,
    });
  });

  test("refuses a directory another live process writes, takes over a stale lock", async () => {
    const base = tempDir();
    const dir = join(base, "audit");
    mkdirSync(dir);
    const other = Bun.spawn(["sleep", "10"]);
    try {
      writeFileSync(join(dir, "LOCK"), String(other.pid));
      const open = () => createAuditTrail(configWith(base), captureLogger().logger);
      expect(open).toThrow(AuditStartError);
      expect(open).toThrow(`in use by process ${other.pid}`);
      other.kill("SIGKILL");
      await other.exited;
      const trail = open();
      trail.enqueue(sampleEvent(1));
      await trail.close();
      expect(existsSync(join(dir, "LOCK"))).toBe(false);
    } finally {
      other.kill("SIGKILL");
    }
  });

  test("an unusable directory stops the start with a plain message", () => {
    const base = tempDir();
    writeFileSync(join(base, "file"), "");
    const config = configWith(base, { dir: join(base, "file", "audit") });
    expect(() => createAuditTrail(config, captureLogger().logger)).toThrow(/cannot use .*ENOTDIR/);
  });

  test("a disabled trail admits, records nothing and creates no directory", async () => {
    const base = tempDir();
    const trail = createAuditTrail(configWith(base, { enabled: false }), captureLogger().logger);
    trail.enqueue(sampleEvent(1));
    expect(trail.admit()).toBe(true);
    await trail.close();
    expect(existsSync(join(base, "audit"))).toBe(false);
  });
});
