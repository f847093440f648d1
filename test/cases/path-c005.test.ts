import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { adminBesidePublic, expectRefused, startPathCase, type PathCase } from "./path-support.ts";

describe("C005 letter case in protected prefixes", () => {
  let setup: PathCase;
  beforeAll(async () => {
    setup = await startPathCase(adminBesidePublic);
  });
  afterAll(() => setup?.close());

  test("C005 case variants of /admin are never forwarded through the public route", async () => {
    for (const target of ["/ADMIN/users", "/Admin/users", "/aDmIn/users", "/%41dmin/users"]) {
      expectRefused(await setup.get(target), [401, 400, 404], target);
    }
  });

  test("C005 an admin token does not open a case variant either (fail closed)", async () => {
    const admin = { Authorization: `Bearer ${setup.token({ sub: "ada", roles: ["admin"] })}` };
    expectRefused(await setup.get("/ADMIN/users", admin), [404], "/ADMIN/users as admin");
  });

  test("C005 upper case that selects no other route passes as sent", async () => {
    const sent = await setup.get("/Public/Docs");
    expect(sent.status).toBe(200);
    expect(sent.u1Targets).toEqual(["/Public/Docs"]);
  });

  test("C005 with caseSensitive off, /ADMIN/users is the admin route", async () => {
    const folded = await startPathCase(adminBesidePublic, { paths: { caseSensitive: false } });
    try {
      expectRefused(await folded.get("/ADMIN/users"), [401], "/ADMIN/users, case-insensitive");
      const admin = { Authorization: `Bearer ${folded.token({ sub: "ada", roles: ["admin"] })}` };
      const sent = await folded.get("/ADMIN/users", admin);
      expect(sent.status).toBe(200);
      expect(sent.u1Targets).toEqual(["/ADMIN/users"]);
    } finally {
      await folded.close();
    }
  });
});
