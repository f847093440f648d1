import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { startPathCase, type PathCase } from "./path-support.ts";
import { auditRecordOf, expectNotForwarded, sendAs, type Caller } from "./policy-path-support.ts";

/**
 * C003, C004, C005, C006 and C009 with a policy attached. The protected routes are granted to
 * `admin` through a route group, the `/debug` deny rule (C009's D1) applies to everyone, and
 * the caller is often authenticated but not an admin: whatever the encoding, slashes, case or
 * query tricks, the policy is decided on the canonical path (403), never bypassed through the
 * public catch-all, and `policy explain` predicts every answer.
 */
const jwt = { auth: { jwt: ["idp"] } };
const anonymous = { auth: { anonymous: true } };
const routes = [
  { id: "R-adm", path: "/admin/*", upstream: "u1", ...jwt },
  { id: "R-con", path: "/console/*", upstream: "u1", ...jwt },
  { id: "R-exp", path: "/reports/export", methods: ["GET"], upstream: "u1", ...jwt },
  { id: "R-pub", path: "/*", upstream: "u1", ...anonymous },
  {
    id: "R-files",
    path: "/files/*",
    methods: ["GET"],
    upstream: "u2",
    allowEncoded: ["slash"],
    ...anonymous,
  },
  { id: "R-dbg", path: "/debug/*", upstream: "u1", ...anonymous },
];
const policy = {
  groups: { protected: ["R-adm", "R-con", "R-exp"] },
  roles: { admin: { allow: [{ id: "admins", groups: ["protected"] }] } },
  deny: [{ id: "D1", description: "debug endpoints are closed to everyone", routes: ["R-dbg"] }],
};

const nobody: Caller = { name: "anonymous", claims: null };
const alice: Caller = { name: "alice", claims: { sub: "alice", roles: ["user"], tenant: "t1" } };
const ada: Caller = { name: "ada", claims: { sub: "ada", roles: ["admin"] } };

describe("path cases with a policy attached", () => {
  let setup: PathCase;
  beforeAll(async () => {
    setup = await startPathCase(routes, { policy });
  });
  afterAll(() => setup?.close());

  test("C003 encoded slashes are refused first; %61dmin is /admin for the policy", async () => {
    for (const target of ["/admin%2Fusers", "/admin%2fusers", "/public%2F..%2Fadmin%2Fusers"]) {
      expectNotForwarded(await sendAs(setup, alice, target), [400], target);
    }
    expectNotForwarded(await sendAs(setup, alice, "/%61dmin/users"), [403], "alice /%61dmin");
    expectNotForwarded(await sendAs(setup, nobody, "/%61dmin/users"), [401], "anon /%61dmin");
    const granted = await sendAs(setup, ada, "/%61dmin/users");
    expect(granted.u1Targets).toEqual(["/admin/users"]);
    const files = await sendAs(setup, alice, "/files/a%2Fb.txt");
    expect(files.u2Targets).toEqual(["/files/a%2Fb.txt"]);
  });

  test("C004 repeated slashes never carry a non-admin past the policy", async () => {
    for (const target of ["//admin/users", "///admin/users", "/public//..//admin/users"]) {
      expectNotForwarded(await sendAs(setup, alice, target), [403, 400], target);
      expectNotForwarded(await sendAs(setup, nobody, target), [401, 400], target);
    }
    const merged = await sendAs(setup, ada, "/admin//users");
    expect(merged.u1Targets).toEqual(["/admin/users"]);
  });

  test("C005 letter case: /ADMIN is never served through the public route", async () => {
    for (const target of ["/ADMIN/users", "/Admin/users", "/aDmIn/users", "/%41dmin/users"]) {
      expectNotForwarded(await sendAs(setup, alice, target), [403, 400, 404], target);
      expectNotForwarded(await sendAs(setup, nobody, target), [401, 400, 404], target);
    }
  });

  test("C006 prefixes guard their bare and trailing forms, on segment boundaries", async () => {
    for (const target of ["/admin", "/admin/", "/admin/.", "/admin?x=1", "/console", "/console/"]) {
      expectNotForwarded(await sendAs(setup, alice, target), [403], target);
    }
    expectNotForwarded(await sendAs(setup, nobody, "/console/."), [401], "/console/.");
    for (const target of ["/administrators-public", "/consoles"]) {
      const sent = await sendAs(setup, alice, target);
      expect(sent.u1Targets).toEqual([target]);
    }
  });

  test("C009 the query never feeds the policy; encoded reserved characters refused", async () => {
    const sent = await sendAs(setup, alice, "/admin/users?/public/info");
    expectNotForwarded(sent, [403], "/admin/users?/public/info");
    expect((await auditRecordOf(setup, sent)).ruleId).toBe("default-deny");
    expectNotForwarded(await sendAs(setup, alice, "/reports/export?format=csv"), [403], "csv");
    expectNotForwarded(await sendAs(setup, alice, "/reports/export%3Fformat=csv"), [400], "%3F");
    const exported = await sendAs(setup, ada, "/reports/export?format=csv");
    expect(exported.u1Targets).toEqual(["/reports/export?format=csv"]);
    const info = await sendAs(setup, alice, "/public/info?next=/admin/users");
    expect(info.u1Targets).toEqual(["/public/info?next=/admin/users"]);
  });

  test("C009 the everyone-deny on /debug holds for every caller and every path form", async () => {
    for (const caller of [nobody, alice, ada]) {
      for (const target of ["/debug?x=1", "/debug/", "/debug/vars", "/DEBUG/../debug"]) {
        expectNotForwarded(await sendAs(setup, caller, target), [403], `${caller.name} ${target}`);
      }
    }
    const record = await auditRecordOf(setup, await sendAs(setup, nobody, "/debug/"));
    const facts = [record.decision, record.ruleId, record.reason];
    expect(facts).toEqual(["deny", "D1", "authz.denied.rule"]);
    const query = await sendAs(setup, nobody, "/public?q=/debug");
    expect(query.u1Targets).toEqual(["/public?q=/debug"]);
    const climbing = "/public/x/..%2F..%2Fdebug";
    expectNotForwarded(await sendAs(setup, nobody, climbing), [400], climbing);
  });
});
