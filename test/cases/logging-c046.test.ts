import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { renameSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import type { AuditEvent } from "../../src/audit/event.ts";
import { readRecords } from "../../src/audit/reader.ts";
import { verifyChain } from "../../src/audit/verify.ts";
import { parsePrometheusText, sampleValue } from "../metrics/prometheus-text.ts";
import { startGateway, type GatewayProcess } from "../support/gateway.ts";
import { generateTestKey, mint, testAudience, testIssuer } from "../support/keys.ts";
import { sendRaw } from "../support/raw-http.ts";
import { startUpstream, type RecordingUpstream } from "../support/upstream.ts";

/**
 * C046: encoding oddities and audit failures never turn a deny into an allow. R-adm needs a
 * JWT with role admin; the audit trail runs fail-closed (the default).
 */
const k1 = generateTestKey("k1");
let u1: RecordingUpstream;
let gw: GatewayProcess;
let auditDir: string;

beforeAll(async () => {
  u1 = await startUpstream();
  gw = await startGateway({
    identity: {
      issuers: [
        { id: "idp", issuer: testIssuer, audience: testAudience, keys: [{ jwk: k1.publicJwk }] },
      ],
    },
    upstreams: { u1: { targets: [u1.url + "/"] } },
    routes: [
      {
        id: "adm",
        path: "/admin/*",
        upstream: "u1",
        auth: { jwt: ["idp"] },
        access: { roles: ["admin"] },
      },
    ],
    audit: { onError: "fail-closed" },
  });
  auditDir = join(gw.dataDir, "audit");
});

afterAll(async () => {
  await gw?.stop("SIGKILL");
  u1?.stop();
});

const admin = (claims: Record<string, unknown> = {}) =>
  mint({ sub: "ada", roles: ["admin"], ...claims }, {}, k1);

async function get(path: string, id: string, token?: string) {
  const headers: Record<string, string> = { "x-request-id": id };
  if (token) headers.authorization = `Bearer ${token}`;
  const response = await fetch(`${gw.url}${path}`, { headers });
  return { status: response.status, body: await response.text() };
}

async function sinkHealthy(): Promise<number> {
  const text = await (await fetch(`${gw.adminUrl}/metrics`)).text();
  return sampleValue(parsePrometheusText(text), "portcullis_audit_sink_healthy");
}

async function waitFor(probe: () => Promise<boolean> | boolean, timeoutMs = 5000) {
  const deadline = Date.now() + timeoutMs;
  while (!(await probe())) {
    if (Date.now() > deadline) throw new Error("condition not met in time");
    await Bun.sleep(25);
  }
}

function recordsFor(id: string): AuditEvent[] {
  return [...readRecords(auditDir)].filter((r) => r.requestId === id);
}

describe("C046 encoding oddities and audit failures never turn a deny into an allow", () => {
  test("C046 items 1-4: odd bytes and odd claims are refused and audited once", async () => {
    const before = u1.records.length;
    const raw = await sendRaw(
      gw.port,
      "GET /admin/x HTTP/1.1\r\nHost: gw.test\r\nX-Request-Id: c046-item-1\r\n" +
        "X-Note: \u00ff\u00fe\u0080\r\nConnection: close\r\n\r\n",
      { untilComplete: true },
    );
    expect(raw.status).toBe(401);

    const surrogate = await get("/admin/x", "c046-item-2", admin({ name: "\ud800" }));
    expect([200, 401]).toContain(surrogate.status);
    const encoded = await get("/admin/%ff%fe", "c046-item-3");
    expect([400, 401]).toContain(encoded.status);
    const wrongType = await get("/admin/x", "c046-item-4", admin({ roles: 7 }));
    expect([401, 403]).toContain(wrongType.status);

    const forwarded = u1.records.slice(before).map((r) => r.target);
    expect(forwarded).toEqual(surrogate.status === 200 ? ["/admin/x"] : []);
    for (const id of ["c046-item-1", "c046-item-2", "c046-item-3", "c046-item-4"]) {
      await waitFor(() => recordsFor(id).length > 0);
      expect(recordsFor(id).length).toBe(1);
    }
    expect(recordsFor("c046-item-1")[0]).toMatchObject({ decision: "deny", status: 401 });
    expect(recordsFor("c046-item-4")[0]!.decision).toBe("deny");
  });

  test("C046 item 5: an unwritable audit trail makes allowed requests 503", async () => {
    const before = u1.records.length;
    const saved = `${auditDir}.saved`;
    renameSync(auditDir, saved);
    writeFileSync(auditDir, "not a directory");
    await waitFor(async () => (await sinkHealthy()) === 0);

    const anonymous = await get("/admin/x", "c046-item-5a");
    expect(anonymous.status).toBe(401);
    const refused = await get("/admin/x", "c046-item-5b", admin());
    expect(refused.status).toBe(503);
    expect(JSON.parse(refused.body)).toMatchObject({ code: "audit.unavailable", status: 503 });
    expect(u1.records.length).toBe(before);
    expect(gw.logText()).toContain("audit sink failing");

    rmSync(auditDir);
    renameSync(saved, auditDir);
    await waitFor(async () => (await sinkHealthy()) === 1);
    const served = await get("/admin/x", "c046-item-5c", admin());
    expect(served.status).toBe(200);
    expect(u1.records.length).toBe(before + 1);

    // Nothing was lost: the records of the failure window were written once the sink was
    // back, and the chain runs unbroken across it.
    expect(await gw.stop("SIGTERM")).toBe(0);
    for (const id of ["c046-item-5a", "c046-item-5b", "c046-item-5c"]) {
      expect(recordsFor(id).length).toBe(1);
    }
    expect(recordsFor("c046-item-5b")[0]).toMatchObject({
      decision: "deny",
      status: 503,
      subject: "ada",
      upstream: null,
    });
    expect(verifyChain(auditDir)).toMatchObject({ ok: true, broken: null });
  });
});
