import { describe, expect, test } from "bun:test";
import { createAuthzCheck } from "../../../src/checks/authz/policy-check.ts";
import type { Identity } from "../../../src/identity/identity.ts";
import type { Check } from "../../../src/pipeline/check.ts";
import { ALLOW, type Denial } from "../../../src/pipeline/verdict.ts";
import { compilePolicy } from "../../../src/policy/compile.ts";
import type { RequestContext } from "../../../src/server/context.ts";
import { configFrom } from "../../policy/fixtures.ts";

const config = configFrom();
const tables = compilePolicy(config).tables;

function checkFor(routeId: string, t = tables, c = config): Check | null {
  return createAuthzCheck(c.routes.find((r) => r.id === routeId)!, t);
}

function identity(roles: string[], tenant: string | null = null, scopes: string[] = []): Identity {
  return {
    subject: "caller",
    kind: "api-key",
    credentialId: "k1",
    tenant,
    roles,
    scopes,
    actorChain: [],
    issuer: null,
  };
}

function context(
  method: string,
  who: Identity | null,
  params: Record<string, string> | null = null,
  headers: Record<string, string> = {},
): RequestContext {
  return {
    requestId: "r1",
    request: new Request("http://gw.test/x", { method, headers }),
    method,
    host: "gw.test",
    path: "/x",
    query: "",
    peerAddress: "127.0.0.1",
    clientAddress: "127.0.0.1",
    startedAt: 0,
    receivedAtMs: 0,
    route: null,
    params,
    identity: who,
    responseHeaders: null,
    ruleId: null,
    reason: null,
    limitOutcome: null,
    reportOnly: null,
    upstreamTarget: null,
    upstreamError: null,
  };
}

describe("authz check", () => {
  test("an anonymous route no rule touches gets no check at all", () => {
    expect(checkFor("public")).toBeNull();
    expect(checkFor("debug")).not.toBeNull();
  });

  test("an allowed request records the granting rule and reason on the context", () => {
    const ctx = context("GET", identity(["agent"]));
    expect(checkFor("telemetry")!(ctx)).toBe(ALLOW);
    expect([ctx.ruleId, ctx.reason, ctx.reportOnly]).toEqual([
      "agent-reads-telemetry",
      "authz.allowed",
      null,
    ]);
  });

  test("the caller's roles are interned once per identity and compiled policy", () => {
    const agent = identity(["agent"]);
    const check = checkFor("telemetry")!;
    check(context("GET", agent));
    const first = agent.roleMask!;
    expect(first.generation).toBe(tables.generation);
    check(context("HEAD", agent));
    expect(agent.roleMask!.mask).toBe(first.mask);

    const reloaded = configFrom();
    const next = compilePolicy(reloaded).tables;
    expect(next.generation).not.toBe(tables.generation);
    checkFor("telemetry", next, reloaded)!(context("GET", agent));
    expect(agent.roleMask!.generation).toBe(next.generation);
  });

  test("denials are built once per route and reason, not per request", () => {
    const check = checkFor("payments-charge")!;
    const a = check(context("POST", identity(["agent"]))) as Denial;
    const b = check(context("POST", identity(["agent", "finance"]))) as Denial;
    expect(a).toMatchObject({ kind: "deny", code: "authz.denied", reason: "authz.denied.rule" });
    expect(a.ruleId).toBe("agent-never-pays");
    expect(b).toBe(a);
  });

  test("a missing identity on a protected route is a 401 backstop with a challenge", () => {
    const denial = checkFor("telemetry")!(context("GET", null)) as Denial;
    expect(denial).toMatchObject({ code: "authn.missing", reason: "authz.identity_missing" });
    expect(denial.headers?.["www-authenticate"]).toStartWith("Bearer");
  });

  test("tenant binding reads the path parameter or the header", () => {
    const byParam = checkFor("vendor-records")!;
    const vendorA = identity(["vendor"], "vendor-a");
    expect(byParam(context("GET", vendorA, { tenant: "vendor-a" }))).toBe(ALLOW);
    const other = byParam(context("GET", vendorA, { tenant: "vendor-b" })) as Denial;
    expect([other.code, other.reason, other.ruleId]).toEqual([
      "authz.denied",
      "authz.tenant_mismatch",
      "vendor-records.tenant",
    ]);

    const byHeader = checkFor("vendor-feed")!;
    expect(byHeader(context("PUT", vendorA, null, { "x-vendor": "vendor-a" }))).toBe(ALLOW);
    const missing = byHeader(context("PUT", vendorA)) as Denial;
    expect(missing.reason).toBe("authz.tenant_missing");
  });

  test("a method no policy can name is denied by default", () => {
    const denial = checkFor("vendor-feed")!(context("TRACE", identity(["vendor"], "v"))) as Denial;
    expect(denial.reason).toBe("authz.denied.default");
  });

  test("report mode: the would-be denial goes to reportOnly and the request passes", () => {
    const ctx = context("GET", identity(["finance"]));
    expect(checkFor("beta")!(ctx)).toBe(ALLOW);
    expect(ctx.reportOnly).toEqual(["authz.denied.default:default-deny"]);
    expect([ctx.ruleId, ctx.reason]).toEqual(["default-deny", "authz.report_only"]);

    const admin = context("POST", identity(["admin"]));
    expect(checkFor("telemetry")!(admin)).toBe(ALLOW);
    expect(admin.reportOnly).toEqual(["authz.denied.rule:try-freeze-admin-telemetry"]);
    expect(admin.ruleId).toBe("admin.allow.1");
  });

  test("report mode never waives the missing-identity backstop", () => {
    const denial = checkFor("beta")!(context("GET", null)) as Denial;
    expect(denial.code).toBe("authn.missing");
  });
});
