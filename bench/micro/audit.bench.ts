/**
 * What auditing costs. The request path pays for `audit.record(ctx, outcome)`: one object
 * copied out of the context and an array push. Encoding and writing happen in the trail's
 * write loop, measured here per batch and as sustained throughput through the real trail
 * (sanitize + msgpackr + SHA-256 chain + CRC-32 + append), without and with fsync per batch.
 * The same run measures `buildAccessRecord` as a baseline: the access log line every request
 * already builds.
 *
 *   bun bench/micro/audit.bench.ts
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { buildFrame } from "../../src/audit/batch-builder.ts";
import type { BatchQueue } from "../../src/audit/batch-queue.ts";
import { encodeRecords, sanitizeEvent } from "../../src/audit/codec.ts";
import { buildAuditEvent, type AuditEvent, type AuditOutcome } from "../../src/audit/event.ts";
import { encodeFrame, zeroHash } from "../../src/audit/frame.ts";
import { createAuditTrail, type AuditTrail } from "../../src/audit/trail.ts";
import { gatewayConfigSchema } from "../../src/config/schema.ts";
import { buildAccessRecord } from "../../src/log/access-record.ts";
import { createLogger } from "../../src/log/logger.ts";
import { redactQuery } from "../../src/log/redact-query.ts";
import type { RequestContext } from "../../src/server/context.ts";
import { do_not_optimize, jsonRequested, runMicro } from "./harness.ts";

const perIteration = 1000;
const quiet = createLogger({ level: "silent", nodeId: "bench", destination: { write() {} } });

const ctx = {
  requestId: "4f2a9c1e-1k2j",
  method: "GET",
  host: "api.example.com",
  path: "/v1/tenants/t-42/invoices/981",
  query: "?page=2&access_token=eyJhbGciOi.eyJzdWIi.c2ln",
  peerAddress: "10.0.3.7",
  clientAddress: "10.0.3.7",
  startedAt: 0,
  receivedAtMs: Date.now(),
  route: { id: "invoices" },
  params: { tenant: "t-42", id: "981" },
  identity: {
    subject: "partner-7",
    kind: "api-key",
    credentialId: "4fQz9XbT2mKa",
    tenant: "t-42",
    roles: ["billing"],
    scopes: [],
    actorChain: [],
    issuer: null,
  },
  responseHeaders: null,
  ruleId: "billing.allow.0",
  reason: "authz.allowed",
  limitOutcome: "allowed",
  reportOnly: null,
  upstreamTarget: "http://10.0.5.1:8080",
  upstreamError: null,
} as unknown as RequestContext;
const outcome: AuditOutcome = {
  status: 200,
  decision: "allow",
  bytesIn: 0,
  bytesOut: 1024,
  durationMs: 2.345678,
};

function trailIn(dir: string, audit: Record<string, unknown>): AuditTrail {
  const config = gatewayConfigSchema.parse({
    dataDir: dir,
    upstreams: { u: { targets: ["http://127.0.0.1:9/"] } },
    routes: [],
    audit: { dir: join(dir, "audit"), queueCapacity: 2_000_000, ...audit },
  });
  return createAuditTrail(config, quiet);
}

const events = (n: number): AuditEvent[] =>
  Array.from({ length: n }, () => buildAuditEvent(ctx, outcome, "node-1"));

const scratch = mkdtempSync(join(tmpdir(), "portcullis-audit-bench-"));
try {
  const trail = trailIn(join(scratch, "enqueue"), {});
  // The bench empties the queue itself between iterations so that it measures enqueueing,
  // not a queue growing to its limit; taking a whole batch is one array swap.
  const queue = (trail as unknown as { queue: BatchQueue }).queue;
  const batch = events(perIteration).map((e) => sanitizeEvent(e, redactQuery));
  const payload = encodeRecords(batch);

  await runMicro("audit", (bench) => {
    bench(`record() x${perIteration} (request path)`, () => {
      for (let i = 0; i < perIteration; i++) trail.record(ctx, outcome);
      do_not_optimize(queue.take(perIteration));
    });
    bench(`buildAccessRecord() x${perIteration} (baseline)`, () => {
      let last = null;
      for (let i = 0; i < perIteration; i++) last = buildAccessRecord(ctx, 200, 2.3);
      do_not_optimize(last);
    });
    bench(`sanitize + encode ${perIteration} records`, () => {
      do_not_optimize(buildFrame(events(perIteration), 1, zeroHash, redactQuery, null));
    });
    bench(`frame (SHA-256 + CRC-32) ${perIteration} records`, () => {
      const input = { sequence: 1, previousHash: zeroHash, payload, recordCount: perIteration };
      do_not_optimize(encodeFrame({ ...input, firstTime: 0, lastTime: 0, hmacKey: null }));
    });
  });
  await trail.close();

  for (const fsync of [false, true]) {
    const total = fsync ? 100_000 : 500_000;
    const figures = await throughput(join(scratch, `write-${fsync}`), total, fsync);
    const label = `sustained write, fsync ${fsync ? "per batch" : "off"}`;
    const { recordsPerSecond, megabytesPerSecond, bytesPerRecord, nsPerRecord } = figures;
    const rate = `${recordsPerSecond.toFixed(0)} records/s, ${megabytesPerSecond.toFixed(1)} MB/s`;
    const size = `${bytesPerRecord.toFixed(0)} B/record, ${nsPerRecord.toFixed(0)} ns/op`;
    console.log(`${label}: ${rate}, ${size}`);
  }
  if (!jsonRequested) console.log(`(per record: the x${perIteration} figures / ${perIteration})`);
} finally {
  rmSync(scratch, { recursive: true, force: true });
}

/** Records through the real trail, as the gateway's write loop handles them, until on disk. */
async function throughput(dir: string, total: number, fsync: boolean) {
  const trail = trailIn(dir, { fsync, batchRecords: 1000 });
  const started = performance.now();
  for (let done = 0; done < total; done += 10_000) {
    for (let i = 0; i < 10_000; i++) trail.record(ctx, outcome);
    await trail.flush();
  }
  await trail.close();
  const seconds = (performance.now() - started) / 1000;
  const { bytesWritten, recordsWritten } = trail.stats();
  if (recordsWritten !== total) throw new Error(`wrote ${recordsWritten} of ${total}`);
  return {
    recordsPerSecond: total / seconds,
    megabytesPerSecond: bytesWritten / seconds / 1e6,
    bytesPerRecord: bytesWritten / total,
    nsPerRecord: (seconds * 1e9) / total,
  };
}
