import { afterEach, describe, expect, test } from "bun:test";
import { join } from "node:path";
import type { AuditEvent } from "../../src/audit/event.ts";
import { readRecords } from "../../src/audit/reader.ts";
import { verifyChain } from "../../src/audit/verify.ts";
import { startGateway, type GatewayProcess } from "../support/gateway.ts";
import { generateTestKey, mint, testAudience, testIssuer } from "../support/keys.ts";
import { startUpstream, type RecordingUpstream } from "../support/upstream.ts";

const started: Array<GatewayProcess | RecordingUpstream> = [];
afterEach(async () => {
  for (const item of started.splice(0)) {
    if ("pid" in item) await item.stop("SIGKILL");
    else item.stop();
  }
});

const key = generateTestKey("k1");
const identity = {
  issuers: [
    { id: "idp", issuer: testIssuer, audience: testAudience, keys: [{ jwk: key.publicJwk }] },
  ],
};

async function gatewayWith(audit: Record<string, unknown> = {}, dir?: string) {
  const upstream = await startUpstream();
  started.push(upstream);
  const gateway = await startGateway(
    {
      log: { level: "warn" },
      identity,
      upstreams: { u1: { targets: [upstream.url + "/"] } },
      routes: [
        { id: "open", path: "/open/*", upstream: "u1", auth: { anonymous: true } },
        {
          id: "orders",
          path: "/v1/orders",
          upstream: "u1",
          auth: { jwt: ["idp"] },
          access: { roles: ["user"] },
        },
        {
          id: "admin",
          path: "/admin/*",
          upstream: "u1",
          auth: { jwt: ["idp"] },
          access: { roles: ["admin"] },
        },
      ],
      audit,
    },
    dir ? { dir } : {},
  );
  started.push(gateway);
  return { gateway, upstream };
}

function recordsOf(gateway: GatewayProcess): AuditEvent[] {
  return [...readRecords(join(gateway.dataDir, "audit"))];
}

/** Sends `total` GETs with `concurrency` in flight; ids are `${tag}-<n>`. */
async function load(gateway: GatewayProcess, tag: string, total: number, concurrency: number) {
  const answered: Array<{ id: string; status: number; at: number }> = [];
  let next = 0;
  const worker = async () => {
    while (next < total) {
      const id = `${tag}-${String(next++).padStart(6, "0")}`;
      try {
        const response = await fetch(`${gateway.url}/open/item`, {
          headers: { "x-request-id": id },
        });
        await response.arrayBuffer();
        answered.push({ id, status: response.status, at: Date.now() });
      } catch {
        // Refused or reset by a stopping gateway: not answered, so no record is owed.
      }
    }
  };
  await Promise.all(Array.from({ length: concurrency }, worker));
  return answered;
}

describe("audit through the gateway", () => {
  test("every request yields exactly one record with the right fields", async () => {
    const { gateway } = await gatewayWith();
    const token = mint(
      { sub: "alice", roles: ["user"], tenant: "t1", jti: "jti-77", act: { sub: "agent-7" } },
      {},
      key,
    );
    const sent = [
      fetch(`${gateway.url}/open/a?q=1&apikey=gwk_test_secret_value_123`, {
        headers: { "x-request-id": "req-open-0001" },
      }),
      fetch(`${gateway.url}/v1/orders`, {
        headers: { "x-request-id": "req-jwt-00001", authorization: `Bearer ${token}` },
      }),
      fetch(`${gateway.url}/v1/orders`, { headers: { "x-request-id": "req-anon-0001" } }),
      fetch(`${gateway.url}/nowhere`, { headers: { "x-request-id": "req-miss-0001" } }),
      fetch(`${gateway.url}/admin/x`, {
        headers: { "x-request-id": "req-forbid-01", authorization: `Bearer ${token}` },
      }),
    ];
    const statuses = await Promise.all(sent.map(async (p) => (await p).status));
    expect(statuses).toEqual([200, 200, 401, 404, 403]);
    expect(await gateway.stop("SIGTERM")).toBe(0);

    const records = recordsOf(gateway);
    expect(records.length).toBe(5);
    const byId = new Map(records.map((r) => [r.requestId, r]));
    expect(byId.get("req-open-0001")).toMatchObject({
      node: "node-1",
      client: "127.0.0.1",
      route: "open",
      method: "GET",
      path: "/open/a",
      query: "?q=1&apikey=REDACTED",
      decision: "allow",
      status: 200,
      subject: null,
    });
    expect(byId.get("req-open-0001")!.upstream).toContain("127.0.0.1");
    expect(byId.get("req-jwt-00001")).toMatchObject({
      route: "orders",
      decision: "allow",
      status: 200,
      subject: "alice",
      identityKind: "jwt",
      credentialId: "jti-77",
      tenant: "t1",
      actorChain: ["agent-7"],
    });
    expect(byId.get("req-anon-0001")).toMatchObject({
      route: "orders",
      decision: "deny",
      status: 401,
      upstream: null,
    });
    expect(byId.get("req-anon-0001")!.reason).toStartWith("authn.");
    expect(byId.get("req-miss-0001")).toMatchObject({ route: null, decision: "deny", status: 404 });
    const forbidden = byId.get("req-forbid-01")!;
    expect(forbidden).toMatchObject({ route: "admin", decision: "deny", status: 403 });
    expect(forbidden).toMatchObject({ subject: "alice", credentialId: "jti-77", upstream: null });
    expect(forbidden.reason).toStartWith("authz.");
    for (const record of records) expect(record.durationMs).toBeGreaterThanOrEqual(0);
    expect(JSON.stringify(records)).not.toContain(token.split(".")[2]!);
    expect(JSON.stringify(records)).not.toContain("gwk_test_secret_value_123");
    expect(verifyChain(join(gateway.dataDir, "audit")).ok).toBe(true);
  });

  test("SIGTERM under load loses no record", async () => {
    const { gateway } = await gatewayWith();
    const running = load(gateway, "term", 3000, 16);
    await Bun.sleep(400);
    const exit = gateway.stop("SIGTERM");
    const answered = await running;
    expect(await exit).toBe(0);

    const records = recordsOf(gateway);
    const recorded = new Set(records.map((r) => r.requestId));
    expect(answered.length).toBeGreaterThan(0);
    expect(records.length).toBe(answered.length);
    expect(recorded.size).toBe(records.length);
    for (const { id } of answered) expect(recorded.has(id)).toBe(true);
    expect(verifyChain(join(gateway.dataDir, "audit")).ok).toBe(true);
  });

  test("kill -9 under load leaves a trail that verifies after recovery", async () => {
    const first = await gatewayWith({ batchAgeMs: 20 });
    const running = load(first.gateway, "kill", 4000, 16);
    await Bun.sleep(600);
    const killedAt = Date.now();
    await first.gateway.stop("SIGKILL");
    const answered = await running;
    expect(answered.length).toBeGreaterThan(0);

    // Start again on the same folder: recovery cuts any torn batch, then stop cleanly.
    const second = await gatewayWith({ batchAgeMs: 20 }, first.gateway.dir);
    expect(await second.gateway.stop("SIGTERM")).toBe(0);
    const report = verifyChain(join(first.gateway.dataDir, "audit"));
    expect(report.ok).toBe(true);

    const records = recordsOf(first.gateway);
    const sent = new Set(answered.map((a) => a.id));
    const ids = records.map((r) => r.requestId);
    expect(new Set(ids).size).toBe(ids.length);
    // Every record names a request that was sent; a request answered well before the kill
    // (beyond the batch age and scheduling slack) is on disk.
    for (const id of ids) expect(id.startsWith("kill-")).toBe(true);
    const settled = answered.filter((a) => a.at < killedAt - 500);
    const recorded = new Set(ids);
    for (const { id } of settled) expect(recorded.has(id)).toBe(true);
    expect(ids.filter((id) => sent.has(id)).length).toBeGreaterThanOrEqual(settled.length);
  });
});
