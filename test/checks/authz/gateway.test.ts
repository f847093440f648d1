import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { startGateway, type GatewayProcess } from "../../support/gateway.ts";
import { startUpstream, type RecordingUpstream } from "../../support/upstream.ts";
import type { AuditEvent } from "../../../src/audit/event.ts";
import { auditRecords, bearer, policyGatewayConfig, tokenFor } from "./policy-gateway.ts";

let upstream: RecordingUpstream;
let gateway: GatewayProcess;
let records: AuditEvent[] = [];

const agent = tokenFor("telemetry-agent", ["agent"]);
const finance = tokenFor("cashier", ["finance"]);
const financeAgent = tokenFor("two-hats", ["finance", "agent"]);
const vendorA = tokenFor("vendor-a-app", ["vendor"], "vendor-a");

/** Sends a request and returns the response plus how many requests the upstream saw for it. */
async function send(method: string, path: string, token: string | null) {
  const before = upstream.records.length;
  const response = await fetch(gateway.url + path, {
    method,
    headers: token ? bearer(token) : {},
  });
  const body = await response.text();
  return { response, body, forwarded: upstream.records.length - before };
}

const recordOf = (requestId: string) => records.find((r) => r.requestId === requestId);

beforeAll(async () => {
  upstream = await startUpstream();
  gateway = await startGateway(policyGatewayConfig(upstream.url));
});

afterAll(async () => {
  await gateway?.stop();
  upstream?.stop();
});

describe("authorization through the running gateway", () => {
  const ids: Record<string, string> = {};
  const remember = (name: string, response: Response) => {
    ids[name] = response.headers.get("x-request-id")!;
  };

  test("a granted role is forwarded", async () => {
    const { response, forwarded } = await send("GET", "/telemetry/cpu", agent);
    expect(response.status).toBe(200);
    expect(forwarded).toBe(1);
    expect(upstream.records.at(-1)!.target).toBe("/telemetry/cpu");
    remember("allow", response);
  });

  test("a role granted nothing here is refused with 403 problem+json by default", async () => {
    const { response, body, forwarded } = await send("GET", "/telemetry/cpu", finance);
    expect(response.status).toBe(403);
    expect(response.headers.get("content-type")).toBe("application/problem+json");
    expect(JSON.parse(body)).toMatchObject({ code: "authz.denied", status: 403 });
    expect(body).not.toContain("default-deny");
    expect(forwarded).toBe(0);
    remember("default", response);
  });

  test("an explicit deny overrides a grant the caller also holds", async () => {
    const allowed = await send("POST", "/payments/charge", finance);
    expect(allowed.response.status).toBe(200);
    const { response, forwarded } = await send("POST", "/payments/charge", financeAgent);
    expect(response.status).toBe(403);
    expect(forwarded).toBe(0);
    remember("explicit", response);
  });

  test("a vendor reaches its own tenant's records and not another's", async () => {
    const own = await send("GET", "/vendors/vendor-a/records/42", vendorA);
    expect(own.response.status).toBe(200);
    const other = "/vendors/vendor-b/records/42";
    const { response, body, forwarded } = await send("GET", other, vendorA);
    expect(response.status).toBe(403);
    expect(JSON.parse(body).code).toBe("authz.denied");
    expect(forwarded).toBe(0);
    remember("tenant", response);
  });

  test("a role granted GET is refused POST on the same route", async () => {
    const { response, forwarded } = await send("POST", "/telemetry/upload", agent);
    expect(response.status).toBe(403);
    expect(forwarded).toBe(0);
    remember("method", response);
    const unserved = await send("DELETE", "/telemetry/cpu", agent);
    expect(unserved.response.status).toBe(405);
  });

  test("report mode forwards a would-be denial", async () => {
    const { response, forwarded } = await send("GET", "/beta/feature", finance);
    expect(response.status).toBe(200);
    expect(forwarded).toBe(1);
    remember("shadow", response);
  });

  test("no credential is 401 from authentication, not 403", async () => {
    const { response, forwarded } = await send("GET", "/telemetry/cpu", null);
    expect(response.status).toBe(401);
    expect(response.headers.get("www-authenticate")).toStartWith("Bearer");
    expect(forwarded).toBe(0);
  });

  test("the admin listener counts decisions by reason and rule, shadow denials apart", async () => {
    const response = await fetch(`${gateway.adminUrl}/policy/decisions`);
    expect(response.status).toBe(200);
    const report = (await response.json()) as {
      decisions: Record<string, number>;
      reportOnly: Record<string, number>;
      rules: Record<string, { decided: number; reportOnly: number }>;
    };
    expect(report.reportOnly).toEqual({ "authz.denied.default": 1 });
    expect(report.rules["agent-never-pays"]).toEqual({ decided: 1, reportOnly: 0 });
    expect(report.rules["finance-pays"]).toEqual({ decided: 1, reportOnly: 0 });
    expect(report.decisions["authz.tenant_mismatch"]).toBe(1);
    expect(report.decisions["authz.method_not_granted"]).toBe(1);
  });

  test("every decision is audited with its rule id and reason code", async () => {
    await gateway.stop();
    records = auditRecords(gateway);
    const facts = (name: string) => {
      const r = recordOf(ids[name]!);
      return r && [r.decision, r.ruleId, r.reason, r.reportOnly];
    };
    expect(facts("allow")).toEqual(["allow", "agent-reads-telemetry", "authz.allowed", null]);
    expect(facts("default")).toEqual(["deny", "default-deny", "authz.denied.default", null]);
    expect(facts("explicit")).toEqual(["deny", "agent-never-pays", "authz.denied.rule", null]);
    expect(facts("tenant")).toEqual([
      "deny",
      "vendor-records.tenant",
      "authz.tenant_mismatch",
      null,
    ]);
    expect(facts("method")).toEqual(["deny", "default-deny", "authz.method_not_granted", null]);
    expect(facts("shadow")).toEqual([
      "allow",
      "default-deny",
      "authz.report_only",
      ["authz.denied.default:default-deny"],
    ]);
    const tenantRecord = recordOf(ids.tenant!)!;
    expect([tenantRecord.subject, tenantRecord.tenant, tenantRecord.path]).toEqual([
      "vendor-a-app",
      "vendor-a",
      "/vendors/vendor-b/records/42",
    ]);
  });

  test("the access log carries the rule id and reason of each decision", () => {
    const lines = gateway
      .logText()
      .split("\n")
      .filter((line) => line.includes('"msg":"access"'))
      .map((line) => JSON.parse(line) as { requestId: string; ruleId: string; reason: string });
    const line = lines.find((l) => l.requestId === ids.explicit);
    expect([line?.ruleId, line?.reason]).toEqual(["agent-never-pays", "authz.denied.rule"]);
  });
});
