import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { adminBesidePublic, expectRefused, startPathCase, type PathCase } from "./path-support.ts";

/**
 * Finding: encoded-slash traversal. On a route that allows `%2F`, `/files/%2e%2e%2Fadmin` was
 * forwarded as `/files/..%2Fadmin` (the gateway's own decoding put a raw `..` beside `%2F`),
 * and `/files/a%2F..%2F..%2Fadmin` unchanged; an upstream that decodes and then resolves dot
 * segments serves `/admin` for both.
 */
describe("encoded-slash traversal: dot pieces between encoded separators", () => {
  let setup: PathCase;
  beforeAll(async () => {
    const routes = adminBesidePublic.map((route) =>
      route.id === "R-files" ? { ...route, allowEncoded: ["slash", "backslash"] } : route,
    );
    setup = await startPathCase(routes);
  });
  afterAll(() => setup?.close());

  test("encoded-slash traversal: .. or . beside %2F or %5C gets 400 path.invalid", async () => {
    const targets = [
      "/files/%2e%2e%2Fadmin",
      "/files/a%2F..%2F..%2Fadmin",
      "/files/..%2fadmin",
      "/files/a%2F.%2Fb",
      "/files/a%5C..%5C..%5Cadmin",
      "/files/x/%2E%2E%5Cadmin",
    ];
    for (const target of targets) {
      const sent = await setup.get(target);
      expectRefused(sent, [400], target);
      expect(sent.response.body).toContain("path.invalid");
    }
  });

  test("encoded-slash traversal: positive control, names with dots still pass", async () => {
    const sent = await setup.get("/files/a%2F..b%2Fc.txt");
    expect(sent.status).toBe(200);
    expect(sent.u2Targets).toEqual(["/files/a%2F..b%2Fc.txt"]);
    const plain = await setup.get("/files/a%2Fb.txt");
    expect(plain.u2Targets).toEqual(["/files/a%2Fb.txt"]);
  });
});
