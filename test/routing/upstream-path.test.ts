import { describe, expect, test } from "bun:test";
import { routeSchema } from "../../src/config/sections/routes.ts";
import { canonicalizePath } from "../../src/routing/canonical-path.ts";
import { routeProblems } from "../../src/routing/route-pattern.ts";
import { createRouter } from "../../src/routing/router.ts";
import { upstreamPathFor } from "../../src/routing/upstream-path.ts";

const rules = { mergeSlashes: true, caseSensitive: true };

function route(path: string, extra: Record<string, unknown> = {}) {
  return routeSchema.parse({ id: "r", path, upstream: "u", ...extra });
}

/** The upstream path for a raw request path, through canonicaliser, router and helper. */
function forwarded(config: ReturnType<typeof route>, raw: string): string {
  const canonical = canonicalizePath(raw, rules);
  if (!canonical.ok) throw new Error(canonical.code);
  const match = createRouter([config], rules).match("GET", "", canonical.path);
  if ("miss" in match) throw new Error(match.miss);
  return upstreamPathFor(config, canonical.path, match.params);
}

describe("upstream path", () => {
  test("is the canonical path itself when the route changes nothing", () => {
    expect(forwarded(route("/api/*"), "/api/./v1/%7Eme/x%2fy")).toBe("/api/v1/~me/x%2Fy");
  });

  test("stripPrefix removes whole segments only", () => {
    const r = route("/api/*", { stripPrefix: "/api" });
    expect(forwarded(r, "/api/v1/items")).toBe("/v1/items");
    expect(forwarded(r, "/api")).toBe("/");
    expect(forwarded(r, "/api/")).toBe("/");
    expect(upstreamPathFor(r, "/apix/y", null)).toBe("/apix/y");
  });

  test("rewrite fills parameters with their canonical, still-encoded text", () => {
    const r = route("/tenants/:tenant/invoices/:id", { rewrite: "/v2/invoices/:id?t=x" });
    // The schema does not forbid `?` in a rewrite; routeProblems does.
    expect(routeProblems(r).map((p) => p.field)).toEqual(["rewrite"]);
    const ok = route("/tenants/:tenant/invoices/:id", { rewrite: "/v2/:tenant/inv/:id" });
    expect(forwarded(ok, "/tenants/acme/invoices/%41-1")).toBe("/v2/acme/inv/A-1");
    expect(upstreamPathFor(ok, "/tenants/a/invoices/x%2F..", { tenant: "a", id: "x%2F.." })).toBe(
      "/v2/a/inv/x%2F..",
    );
  });

  test("rewrite with a final /* appends what the prefix matched", () => {
    const r = route("/legacy/:version/*", { rewrite: "/v2/*" });
    expect(forwarded(r, "/legacy/1/a/b")).toBe("/v2/a/b");
    expect(forwarded(r, "/legacy/1/")).toBe("/v2/");
    expect(forwarded(r, "/legacy/1")).toBe("/v2");
    expect(forwarded(route("/*", { rewrite: "/*" }), "/x/y")).toBe("/x/y");
  });
});

describe("route problems", () => {
  test("names unknown rewrite parameters, misplaced /*, and rewrite with stripPrefix", () => {
    expect(routeProblems(route("/a/:id", { rewrite: "/b/:other" }))[0]?.message).toContain(
      ":other",
    );
    expect(routeProblems(route("/a/:id", { rewrite: "/b/*" }))[0]?.message).toContain("prefix");
    expect(routeProblems(route("/a/*", { rewrite: "/b/../c" }))[0]?.message).toContain(
      "canonical",
    );
    const both = route("/a/*", { rewrite: "/b", stripPrefix: "/a" });
    expect(routeProblems(both)[0]?.message).toContain("not both");
  });

  test("accepts well-formed routes", () => {
    expect(routeProblems(route("/a/:id/*", { rewrite: "/b/:id/*" }))).toEqual([]);
    expect(routeProblems(route("/a/*", { stripPrefix: "/a", hosts: ["*.x.test"] }))).toEqual([]);
    expect(routeProblems(route("/", { hosts: ["[::1]", "127.0.0.1"] }))).toEqual([]);
  });

  test("refuses a bare * host and a non-canonical stripPrefix", () => {
    expect(routeProblems(route("/a", { hosts: ["*"] }))[0]?.field).toBe("hosts");
    expect(routeProblems(route("/a/*", { stripPrefix: "/%61" }))[0]?.field).toBe("stripPrefix");
  });
});
