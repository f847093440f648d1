import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { anonymous, expectRefused, jwtRoute, startPathCase } from "./path-support.ts";
import type { PathCase } from "./path-support.ts";

describe("C006 trailing slash and path-segment boundaries", () => {
  let setup: PathCase;
  beforeAll(async () => {
    setup = await startPathCase([
      // Our prefix syntax is `/x/*`; it covers `/x` itself, the case's "prefix /admin".
      { id: "R-adm", path: "/admin/*", upstream: "u1", ...jwtRoute(["admin"]) },
      { id: "R-con", path: "/console/*", upstream: "u1", ...jwtRoute(["admin"]) },
      // An exact route written with a trailing slash guards the bare name as well.
      { id: "R-panel", path: "/panel/", upstream: "u1", ...jwtRoute(["admin"]) },
      { id: "R-pub", path: "/*", upstream: "u1", ...anonymous },
    ]);
  });
  afterAll(() => setup?.close());

  test("C006 /admin, /admin/, /admin/. and /admin?x=1 all need the admin token", async () => {
    for (const target of ["/admin", "/admin/", "/admin/.", "/admin?x=1"]) {
      expectRefused(await setup.get(target), [401], target);
    }
  });

  test("C006 a prefix matches whole segments only: /administrators-public is public", async () => {
    const sent = await setup.get("/administrators-public");
    expect(sent.status).toBe(200);
    expect(sent.u1Targets).toEqual(["/administrators-public"]);
  });

  test("C006 /console, /console/ and /console/. are guarded; /consoles is not", async () => {
    for (const target of ["/console", "/console/", "/console/."]) {
      expectRefused(await setup.get(target), [401], target);
    }
    const sent = await setup.get("/consoles");
    expect(sent.status).toBe(200);
    expect(sent.u1Targets).toEqual(["/consoles"]);
  });

  test("C006 an exact route written /panel/ guards /panel and /panel/", async () => {
    for (const target of ["/panel", "/panel/"]) {
      expectRefused(await setup.get(target), [401], target);
    }
    const admin = { Authorization: `Bearer ${setup.token({ sub: "ada", roles: ["admin"] })}` };
    const sent = await setup.get("/panel", admin);
    expect(sent.status).toBe(200);
    expect(sent.u1Targets).toEqual(["/panel"]);
  });
});
