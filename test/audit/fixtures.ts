import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { gatewayConfigSchema, type GatewayConfig } from "../../src/config/schema.ts";
import type { AuditEvent } from "../../src/audit/event.ts";
import { createLogger, type Logger } from "../../src/log/logger.ts";

/** A fresh temp folder for one test. */
export function tempDir(prefix = "portcullis-audit-"): string {
  return mkdtempSync(join(tmpdir(), prefix));
}

/** A validated config whose audit section is `audit`, writing under `dir`. */
export function configWith(dir: string, audit: Record<string, unknown> = {}): GatewayConfig {
  return gatewayConfigSchema.parse({
    nodeId: "node-test",
    dataDir: dir,
    upstreams: { u1: { targets: ["http://127.0.0.1:9/"] } },
    routes: [],
    audit: { dir: join(dir, "audit"), ...audit },
  });
}

/** A logger whose lines land in `lines` (already JSON-parsed). */
export function captureLogger(): { logger: Logger; lines: Array<Record<string, unknown>> } {
  const lines: Array<Record<string, unknown>> = [];
  const destination = { write: (line: string) => void lines.push(JSON.parse(line)) };
  return { logger: createLogger({ level: "debug", nodeId: "node-test", destination }), lines };
}

const timeBase = Date.now();

/** A complete record as the request path would build it. */
export function sampleEvent(i: number, overrides: Partial<AuditEvent> = {}): AuditEvent {
  return {
    time: timeBase + i,
    requestId: `req-${i}`,
    node: "node-test",
    client: "127.0.0.1",
    subject: i % 2 === 0 ? "alice" : "bob",
    identityKind: "api-key",
    credentialId: i % 2 === 0 ? "key-alice" : "key-bob",
    tenant: i % 2 === 0 ? "t1" : "t2",
    actorChain: null,
    route: "orders",
    method: "GET",
    host: "gw.test",
    path: `/v1/orders/${i}`,
    query: "",
    decision: i % 5 === 0 ? "deny" : "allow",
    ruleId: i % 5 === 0 ? "rule-deny" : null,
    reason: i % 5 === 0 ? "authz.role_missing" : null,
    limit: null,
    reportOnly: null,
    upstream: i % 5 === 0 ? null : "http://127.0.0.1:9001",
    upstreamError: null,
    status: i % 5 === 0 ? 403 : 200,
    bytesIn: 0,
    bytesOut: 123,
    durationMs: 1.5,
    ...overrides,
  };
}
