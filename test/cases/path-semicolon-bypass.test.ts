import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { anonymous, expectRefused, jwtRoute, startPathCase } from "./path-support.ts";
import type { PathCase } from "./path-support.ts";

/**
 * Finding: path-parameter bypass. Tomcat, Spring and Jetty strip `;params` from each segment
 * before routing, so `/admin;x/users` is their `/admin/users`. The gateway used to route it to
 * the public catch-all and forward it verbatim.
 */
const routes: Record<string, unknown>[] = [
  { id: "R-adm", path: "/admin/*", upstream: "u1", ...jwtRoute(["admin"]) },
  { id: "R-exp", path: "/reports/export", upstream: "u1", ...jwtRoute(["admin"]) },
  { id: "R-pub", path: "/*", upstream: "u1", ...anonymous },
];
const bypasses = ["/admin;x/users", "/admin;/users", "/reports/export;x"];

describe("path-parameter bypass: a raw ; in the path", () => {
  let setup: PathCase;
  beforeAll(async () => {
    setup = await startPathCase(routes);
  });
  afterAll(() => setup?.close());

  test("path-parameter bypass: anonymous ;-variants of admin paths get 400", async () => {
    for (const target of [...bypasses, "/public/a;jsessionid=1"]) {
      const sent = await setup.get(target);
      expectRefused(sent, [400], target);
      expect(sent.response.body).toContain("path.invalid");
    }
  });

  test("path-parameter bypass: an admin's token does not make a ; path acceptable", async () => {
    const admin = { Authorization: `Bearer ${setup.token({ sub: "ada", roles: ["admin"] })}` };
    expectRefused(await setup.get("/admin;x/users", admin), [400], "admin /admin;x/users");
    const plain = await setup.get("/admin/users", admin);
    expect(plain.status).toBe(200);
    expect(plain.u1Targets).toEqual(["/admin/users"]);
  });

  test("path-parameter bypass: an encoded %3B is text, forwarded still encoded", async () => {
    // Servlet containers split off `;params` before percent-decoding, so `%3B` never starts
    // one there: `/admin%3Bx/users` is the segment `admin;x`, not `/admin/users`.
    const sent = await setup.get("/admin%3bx/users");
    expect(sent.status).toBe(200);
    expect(sent.u1Targets).toEqual(["/admin%3Bx/users"]);
  });
});

describe("path-parameter bypass: paths.allowSemicolons opt-in", () => {
  let setup: PathCase;
  beforeAll(async () => {
    setup = await startPathCase(routes, { paths: { allowSemicolons: true } });
  });
  afterAll(() => setup?.close());

  test("path-parameter bypass: with the opt-in, ; is text and goes upstream as is", async () => {
    // Documented trade-off: routes then must not rely on upstreams stripping `;params`.
    const sent = await setup.get("/public/a;jsessionid=1");
    expect(sent.status).toBe(200);
    expect(sent.u1Targets).toEqual(["/public/a;jsessionid=1"]);
    expectRefused(await setup.get("/public/..;/admin/users"), [400], "..; stays refused");
  });
});
