import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { startPathCase, type PathCase } from "./path-support.ts";
import { auditRecordOf, expectNotForwarded, sendAs, type Caller } from "./policy-path-support.ts";

/**
 * C001 with a policy attached: grants in `policy.roles`, an explicit deny, and a tenant-bound
 * route. Dot segments are resolved before routing, so no dotted path reaches a route, or
 * another tenant's records, that its caller may not use; `policy explain` agrees on every one.
 */
const jwt = { auth: { jwt: ["idp"] } };
const routes = [
  { id: "R-op", path: "/api/operator/*", methods: ["GET"], upstream: "u1", ...jwt },
  { id: "R-adm", path: "/api/admin/*", methods: ["GET"], upstream: "u1", ...jwt },
  {
    id: "R-ten",
    path: "/api/tenants/:tenant/*",
    methods: ["GET"],
    upstream: "u1",
    ...jwt,
    access: { tenant: { param: "tenant" } },
  },
];
const policy = {
  roles: {
    operator: { allow: [{ id: "operators", routes: ["R-op"] }] },
    admin: { allow: [{ id: "admins", routes: ["R-adm", "R-op"] }] },
    user: { allow: [{ id: "tenant-users", routes: ["R-ten"] }] },
  },
  deny: [{ id: "operators-never-admin", roles: ["operator"], routes: ["R-adm"] }],
};

const olga: Caller = { name: "olga", claims: { sub: "olga", roles: ["operator"] } };
const ada: Caller = { name: "ada", claims: { sub: "ada", roles: ["admin"] } };
const alice: Caller = { name: "alice", claims: { sub: "alice", roles: ["user"], tenant: "t1" } };

describe("C001 dot segments with a policy attached", () => {
  let setup: PathCase;
  beforeAll(async () => {
    setup = await startPathCase(routes, { policy });
  });
  afterAll(() => setup?.close());

  test("C001 dotted paths from the operator prefix meet the admin route's deny rule", async () => {
    for (const target of [
      "/api/operator/../admin/users",
      "/api/operator/./../admin/users",
      "/api/operator/x/../../admin/users",
    ]) {
      expectNotForwarded(await sendAs(setup, olga, target), [403, 400], target);
    }
    const sent = await sendAs(setup, olga, "/api/operator/../admin/users");
    const record = await auditRecordOf(setup, sent);
    expect([record.subject, record.decision, record.ruleId, record.reason, record.path]).toEqual([
      "olga",
      "deny",
      "operators-never-admin",
      "authz.denied.rule",
      "/api/admin/users",
    ]);
  });

  test("C001 the same dotted path is allowed for a caller the admin route grants", async () => {
    const sent = await sendAs(setup, ada, "/api/operator/../admin/users");
    expect(sent.status).toBe(200);
    expect(sent.u1Targets).toEqual(["/api/admin/users"]);
  });

  test("C001 positive control under the policy: resolved path allowed and forwarded", async () => {
    const sent = await sendAs(setup, olga, "/api/operator/./reports/../status");
    expect(sent.status).toBe(200);
    expect(sent.u1Targets).toEqual(["/api/operator/status"]);
  });

  test("C001 dot segments cannot cross from one tenant's records into another's", async () => {
    for (const target of ["/api/tenants/t1/../t2/orders", "/api/tenants/t1/x/../../t2/orders"]) {
      const sent = await sendAs(setup, alice, target);
      expectNotForwarded(sent, [403], target);
      expect((await auditRecordOf(setup, sent)).reason).toBe("authz.tenant_mismatch");
    }
    const own = await sendAs(setup, alice, "/api/tenants/t1/./orders");
    expect(own.status).toBe(200);
    expect(own.u1Targets).toEqual(["/api/tenants/t1/orders"]);
  });

  test("C001 an encoded tenant is compared decoded; an encoded separator is refused", async () => {
    expectNotForwarded(await sendAs(setup, alice, "/api/tenants/%74%32/orders"), [403], "%74%32");
    const own = await sendAs(setup, alice, "/api/tenants/%74%31/orders");
    expect(own.u1Targets).toEqual(["/api/tenants/t1/orders"]);
    const target = "/api/tenants/t1%2F..%2Ft2/orders";
    expectNotForwarded(await sendAs(setup, alice, target), [400], target);
  });
});
