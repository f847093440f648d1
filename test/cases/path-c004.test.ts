import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { adminBesidePublic, expectRefused, startPathCase, type PathCase } from "./path-support.ts";

describe("C004 repeated slashes", () => {
  let setup: PathCase;
  beforeAll(async () => {
    setup = await startPathCase(adminBesidePublic);
  });
  afterAll(() => setup?.close());

  test("C004 leading repeated slashes merge before matching: admin route, 401", async () => {
    for (const target of ["//admin/users", "///admin/users"]) {
      expectRefused(await setup.get(target), [401], target);
    }
  });

  test("C004 /public//..//admin/users is never forwarded through the public route", async () => {
    // Bun resolves the `..` first and hands us /public//admin/users; merging that would give
    // /public/admin/users while a merge-first server reads /admin/users, so it is ambiguous.
    const sent = await setup.get("/public//..//admin/users");
    expectRefused(sent, [401, 400], "/public//..//admin/users");
  });

  test("C004 an admin's /admin//users reaches the upstream as /admin/users", async () => {
    const admin = { Authorization: `Bearer ${setup.token({ sub: "ada", roles: ["admin"] })}` };
    const sent = await setup.get("/admin//users", admin);
    expect(sent.status).toBe(200);
    expect(sent.u1Targets).toEqual(["/admin/users"]);
  });

  test("C004 positive control: /public//docs reaches the upstream as /public/docs", async () => {
    const sent = await setup.get("/public//docs");
    expect(sent.status).toBe(200);
    expect(sent.u1Targets).toEqual(["/public/docs"]);
  });

  test("C004 with mergeSlashes off, any repeated slash is refused with 400", async () => {
    const strict = await startPathCase(adminBesidePublic, { paths: { mergeSlashes: false } });
    try {
      for (const target of ["//admin/users", "/public//docs"]) {
        const sent = await strict.get(target);
        expectRefused(sent, [400], target);
        expect(sent.response.body).toContain("path.invalid");
      }
    } finally {
      await strict.close();
    }
  });
});
