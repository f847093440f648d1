import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { anonymous, expectRefused, jwtRoute, startPathCase } from "./path-support.ts";
import type { PathCase } from "./path-support.ts";

describe("C009 encoded reserved characters and path/query confusion", () => {
  let setup: PathCase;
  beforeAll(async () => {
    setup = await startPathCase(
      [
        { id: "R-adm", path: "/admin/*", upstream: "u1", ...jwtRoute(["admin"]) },
        {
          id: "R-exp",
          path: "/reports/export",
          methods: ["GET"],
          upstream: "u1",
          ...jwtRoute(["admin"]),
        },
        // D1 `^/debug(/|$)` as a route: `/debug/*` covers /debug and everything below it.
        { id: "R-debug", path: "/debug/*", upstream: "u1", ...anonymous },
        { id: "R-pub", path: "/*", upstream: "u1", ...anonymous },
        {
          id: "R-opt-in",
          path: "/optin/*",
          upstream: "u2",
          allowEncoded: ["question", "hash"],
          ...anonymous,
        },
      ],
      { policy: { deny: [{ id: "D1", routes: ["R-debug"] }] } },
    );
  });
  afterAll(() => setup?.close());

  test("C009 encoded ? # NUL \\ in the path are refused with 400", async () => {
    for (const target of ["/public/a%3Fb", "/public/a%23b", "/public/a%00b", "/public/a%5Cb"]) {
      const sent = await setup.get(target);
      expectRefused(sent, [400], target);
      expect(sent.response.body).toContain("path.encoded_separator");
    }
  });

  test("C009 a raw backslash path is never forwarded through the public route", async () => {
    // Bun applies the WHATWG URL rules first: `\` becomes `/` and `..` resolves, so this is
    // /admin/users by the time we route it, and the admin route's policy answers.
    const sent = await setup.get("/public\\..\\admin/users");
    expectRefused(sent, [400, 401], "raw backslash");
  });

  test("C009 /admin%3F/users is refused with 400", async () => {
    expectRefused(await setup.get("/admin%3F/users"), [400], "/admin%3F/users");
  });

  test("C009 the query is forwarded byte for byte and never routed on", async () => {
    const sent = await setup.get("/public/info?next=/admin/users");
    expect(sent.status).toBe(200);
    expect(sent.u1Targets).toEqual(["/public/info?next=/admin/users"]);
    expectRefused(await setup.get("/admin/users?/public/info"), [401], "/admin/users?/public/info");
  });

  test("C009 /reports/export with a query, a trailing slash or an encoded ?", async () => {
    expectRefused(await setup.get("/reports/export?format=csv"), [401], "?format=csv");
    expectRefused(await setup.get("/reports/export/"), [401, 404], "trailing slash");
    const encoded = await setup.get("/reports/export%3Fformat=csv");
    expectRefused(encoded, [400], "%3F form");
  });

  test("C009 the /debug deny rule applies to the path, never to the query", async () => {
    expectRefused(await setup.get("/debug?x=1"), [403], "/debug?x=1");
    expectRefused(await setup.get("/debug/"), [403], "/debug/");
    const sent = await setup.get("/public?q=/debug");
    expect(sent.status).toBe(200);
    expect(sent.u1Targets).toEqual(["/public?q=/debug"]);
    const climb = await setup.get("/public/x/..%2F..%2Fdebug");
    expectRefused(climb, [400], "..%2F form");
  });

  test("C009 a route that opts in per character gets exactly those, still encoded", async () => {
    const sent = await setup.get("/optin/a%3fb%23c");
    expect(sent.status).toBe(200);
    expect(sent.u2Targets).toEqual(["/optin/a%3Fb%23c"]);
    expectRefused(await setup.get("/optin/a%2Fb"), [400], "slash not opted in");
  });
});
