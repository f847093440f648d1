import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { adminBesidePublic, expectRefused, startPathCase, type PathCase } from "./path-support.ts";

/**
 * Finding: trailing dot and space. Windows file APIs and IIS drop a segment's trailing dots
 * and spaces, so `/admin./users` and `/admin%20/users` are their `/admin/users`; the gateway
 * used to route both to the public catch-all.
 */
describe("segment padding: trailing dots and leading or trailing spaces", () => {
  let setup: PathCase;
  beforeAll(async () => {
    setup = await startPathCase(adminBesidePublic);
  });
  afterAll(() => setup?.close());

  test("segment padding: /admin./users and /admin%20/users get 400 path.invalid", async () => {
    const targets = ["/admin./users", "/admin%2e/users", "/admin%20/users", "/%20admin/users"];
    for (const target of [...targets, "/admin.%20/users", "/public/file."]) {
      const sent = await setup.get(target);
      expectRefused(sent, [400], target);
      expect(sent.response.body).toContain("path.invalid");
    }
  });

  test("segment padding: a trailing-dot piece behind an encoded slash is refused too", async () => {
    expectRefused(await setup.get("/files/a.%2Fb"), [400], "/files/a.%2Fb");
  });

  test("segment padding: positive control, inner dots and spaces are forwarded", async () => {
    const sent = await setup.get("/public/v1.2/a%20b.txt");
    expect(sent.status).toBe(200);
    expect(sent.u1Targets).toEqual(["/public/v1.2/a%20b.txt"]);
  });
});

describe("segment padding: paths.allowSegmentPadding opt-in", () => {
  let setup: PathCase;
  beforeAll(async () => {
    setup = await startPathCase(adminBesidePublic, { paths: { allowSegmentPadding: true } });
  });
  afterAll(() => setup?.close());

  test("segment padding: with the opt-in, padded segments go upstream unchanged", async () => {
    const sent = await setup.get("/public./a%20");
    expect(sent.status).toBe(200);
    expect(sent.u1Targets).toEqual(["/public./a%20"]);
    const climb = await setup.get("/files/..%2Fadmin");
    expectRefused(climb, [400], "dot pieces stay refused");
  });
});
