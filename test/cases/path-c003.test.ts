import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { adminBesidePublic, expectRefused, startPathCase, type PathCase } from "./path-support.ts";

describe("C003 encoded slash and encoded unreserved characters", () => {
  let setup: PathCase;
  beforeAll(async () => {
    setup = await startPathCase(adminBesidePublic);
  });
  afterAll(() => setup?.close());

  test("C003 an encoded slash is refused with 400 and never reaches the public route", async () => {
    for (const target of ["/admin%2Fusers", "/admin%2fusers"]) {
      const sent = await setup.get(target);
      expectRefused(sent, [400], target);
      expect(sent.response.body).toContain("path.encoded_separator");
    }
    // A `..` between encoded slashes is refused before routing, whatever the route allows.
    const climbing = await setup.get("/public%2F..%2Fadmin%2Fusers");
    expectRefused(climbing, [400], "/public%2F..%2Fadmin%2Fusers");
    expect(climbing.response.body).toContain("path.invalid");
  });

  test("C003 an encoded unreserved character is the plain one: /%61dmin is /admin", async () => {
    const sent = await setup.get("/%61dmin/users");
    expectRefused(sent, [401], "/%61dmin/users");
  });

  test("C003 positive control: a route that opts in gets %2F still encoded", async () => {
    const sent = await setup.get("/files/a%2Fb.txt");
    expect(sent.status).toBe(200);
    expect(sent.u2Targets).toEqual(["/files/a%2Fb.txt"]);
    expect(sent.u1Targets).toEqual([]);
  });

  test("C003 escapes are normalised once: lower-case hex goes upstream upper-case", async () => {
    const sent = await setup.get("/files/caf%c3%a9/%7euser/a%2fb");
    expect(sent.status).toBe(200);
    expect(sent.u2Targets).toEqual(["/files/caf%C3%A9/~user/a%2Fb"]);
  });
});
