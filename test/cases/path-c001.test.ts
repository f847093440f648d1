import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { expectRefused, jwtRoute, startPathCase, type PathCase } from "./path-support.ts";

/**
 * C001: raw dot segments must not walk out of an allowed prefix. Bun resolves them before the
 * gateway sees the path, so routing, the policy and the upstream all get the resolved path.
 */
describe("C001 raw dot segments", () => {
  let setup: PathCase;
  let operator: Record<string, string>;

  beforeAll(async () => {
    const operatorOnly = jwtRoute(["operator"]);
    const adminOnly = jwtRoute(["admin"]);
    setup = await startPathCase([
      { id: "R-op", path: "/api/operator/*", methods: ["GET"], upstream: "u1", ...operatorOnly },
      { id: "R-adm", path: "/api/admin/*", methods: ["GET"], upstream: "u1", ...adminOnly },
    ]);
    operator = { Authorization: `Bearer ${setup.token({ sub: "olga", roles: ["operator"] })}` };
  });
  afterAll(() => setup?.close());

  test("C001 dot segments out of /api/operator/ land on the admin route's policy", async () => {
    for (const target of [
      "/api/operator/../admin/users",
      "/api/operator/./../admin/users",
      "/api/operator/x/../../admin/users",
    ]) {
      expectRefused(await setup.get(target, operator), [403, 400], target);
    }
  });

  test("C001 /api/operator/.. resolves to /api/ and matches nothing", async () => {
    expectRefused(await setup.get("/api/operator/..", operator), [404, 400], "/api/operator/..");
  });

  test("C001 a path climbing above the root never reaches the upstream", async () => {
    // Bun clamps `..` at the root (WHATWG URL rules) before the handler runs, so this arrives
    // as /outside-root: no route, 404. The raw form is not visible to refuse it with 400.
    const target = "/api/operator/../../../../outside-root";
    expectRefused(await setup.get(target, operator), [400, 404], target);
  });

  test("C001 positive control: the resolved path is what the upstream receives", async () => {
    const sent = await setup.get("/api/operator/./reports/../status", operator);
    expect(sent.status).toBe(200);
    expect(sent.u1Targets).toEqual(["/api/operator/status"]);
  });
});
