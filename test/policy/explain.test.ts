import { describe, expect, test } from "bun:test";
import { explainRequest } from "../../src/policy/explain.ts";
import { namedCaller, type CallerSpec } from "../../src/policy/named-callers.ts";
import { configFrom } from "./fixtures.ts";

const config = configFrom();
const named = (name: string) => namedCaller(config, name)!;
const roles = (...list: string[]): CallerSpec => ({
  name: null,
  roles: list,
  scopes: [],
  tenant: null,
});
const explain = (caller: CallerSpec | null, method: string, target: string, headers = {}) =>
  explainRequest(config, { method, target, caller, headers });

describe("decisions through router and tables", () => {
  test("a granted role is allowed and the granting rule is named", () => {
    const e = explain(named("telemetry-agent"), "GET", "/telemetry/cpu");
    expect(e).toMatchObject({ decision: "allow", status: 200, reason: "authz.allowed" });
    expect(e.ruleId).toBe("agent-reads-telemetry");
    expect(e.route?.id).toBe("telemetry");
  });

  test("HEAD follows a GET grant", () => {
    expect(explain(named("telemetry-agent"), "HEAD", "/telemetry/cpu").decision).toBe("allow");
  });

  test("a role granted nothing on the route is denied by default", () => {
    const e = explain(roles("finance"), "GET", "/telemetry/cpu");
    expect(e).toMatchObject({ decision: "deny", status: 403, code: "authz.denied" });
    expect(e.reason).toBe("authz.denied.default");
    expect(e.ruleId).toBe("default-deny");
  });

  test("a caller whose roles the policy never mentions is denied by default", () => {
    expect(explain(roles("intern"), "GET", "/payments/x").reason).toBe("authz.denied.default");
  });

  test("an explicit deny overrides a grant from another role", () => {
    const e = explain(roles("finance", "agent"), "POST", "/payments/charge");
    expect(e).toMatchObject({ decision: "deny", reason: "authz.denied.rule" });
    expect(e.ruleId).toBe("agent-never-pays");
    expect(e.rule).toMatchObject({ effect: "deny", at: "policy.deny[0]" });
    expect(e.matching.map((r) => r.id)).toEqual(["agent-never-pays", "finance-pays"]);
  });

  test("without the denied role the same grant allows", () => {
    expect(explain(roles("finance"), "POST", "/payments/charge").ruleId).toBe("finance-pays");
  });

  test("a role granted other methods of a route gets method_not_granted", () => {
    const e = explain(named("telemetry-agent"), "POST", "/telemetry/upload");
    expect(e).toMatchObject({ decision: "deny", status: 403, reason: "authz.method_not_granted" });
  });

  test("tenant bound by path parameter: own tenant allowed, other tenant denied", () => {
    const own = explain(named("vendor-a"), "GET", "/vendors/vendor-a/records/7");
    expect(own.decision).toBe("allow");
    const other = explain(named("vendor-a"), "GET", "/vendors/vendor-b/records/7");
    expect(other).toMatchObject({ decision: "deny", status: 403, reason: "authz.tenant_mismatch" });
    expect(other.ruleId).toBe("vendor-records.tenant");
    expect(other.params).toEqual({ tenant: "vendor-b" });
  });

  test("a tenant bypass role crosses tenants; a tenantless vendor is refused", () => {
    const support = { name: null, roles: ["support"], scopes: [], tenant: null };
    expect(explain(support, "GET", "/vendors/vendor-b/records/1").decision).toBe("allow");
    const tenantless = explain(roles("vendor"), "GET", "/vendors/vendor-b/records/1");
    expect(tenantless.reason).toBe("authz.tenant_missing");
  });

  test("tenant bound by header: missing, other and own values", () => {
    const caller = named("vendor-b");
    expect(explain(caller, "GET", "/feed/x").reason).toBe("authz.tenant_missing");
    expect(explain(caller, "GET", "/feed/x", { "X-Vendor": "vendor-a" }).reason).toBe(
      "authz.tenant_mismatch",
    );
    expect(explain(caller, "GET", "/feed/x", { "x-vendor": "vendor-b" }).decision).toBe("allow");
  });

  test("required scopes are all needed on top of the grant", () => {
    const without = explain(roles("agent"), "GET", "/reports/q1");
    expect(without).toMatchObject({ decision: "deny", reason: "authz.scope_missing" });
    expect(without.ruleId).toBe("reports.scopes");
    const scoped = { name: null, roles: [], scopes: ["reports:read"], tenant: null };
    expect(explain(scoped, "GET", "/reports/q1").ruleId).toBe("reports.authenticated");
  });

  test("a route in report mode lets a would-be denial through and records it", () => {
    const e = explain(roles("finance"), "GET", "/beta/feature");
    expect(e).toMatchObject({ decision: "allow", reason: "authz.report_only" });
    expect(e.shadow).toEqual({ reason: "authz.denied.default", ruleId: "default-deny" });
    expect(explain(roles("admin"), "GET", "/beta/feature").shadow).toBeNull();
  });

  test("a report-mode deny rule records a would-be denial of an allowed request", () => {
    const e = explain(roles("admin"), "POST", "/telemetry/upload");
    expect(e.decision).toBe("allow");
    expect(e.shadow).toEqual({ reason: "authz.denied.rule", ruleId: "try-freeze-admin-telemetry" });
  });

  test("anonymous: open route passes, a deny-everyone rule refuses, protected needs authn", () => {
    expect(explain(null, "GET", "/public/a")).toMatchObject({ decision: "allow", ruleId: null });
    expect(explain(null, "GET", "/debug")).toMatchObject({ status: 403, ruleId: "no-debug" });
    expect(explain(null, "GET", "/telemetry/x")).toMatchObject({ status: 401, stage: "authn" });
  });

  test("the policy is evaluated on the canonical path", () => {
    const e = explain(named("telemetry-agent"), "GET", "/telemetry/../payments/x");
    expect(e.canonicalPath).toBe("/payments/x");
    expect(e).toMatchObject({ decision: "deny", ruleId: "agent-never-pays" });
    const encoded = explain(named("telemetry-agent"), "GET", "/%70ayments/x");
    expect(encoded).toMatchObject({ decision: "deny", ruleId: "agent-never-pays" });
  });

  test("routing and path refusals come before the policy", () => {
    const nowhere = explain(roles("admin"), "GET", "/nowhere");
    expect(nowhere).toMatchObject({ status: 404, stage: "route" });
    expect(explain(roles("admin"), "DELETE", "/payments/charge").status).toBe(405);
    // Bun clamps `..` at the root before the handler runs; explain reads the target the same way.
    expect(explain(roles("admin"), "GET", "/../x")).toMatchObject({ status: 404, stage: "route" });
    expect(explain(roles("admin"), "GET", "/payments/%zz")).toMatchObject({
      status: 400,
      stage: "path",
    });
    expect(explain(roles("admin"), "GET", "/payments/a%2Fb")).toMatchObject({
      status: 400,
      code: "path.encoded_separator",
    });
  });
});
