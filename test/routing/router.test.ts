import { describe, expect, test } from "bun:test";
import { routeSchema, type RouteConfig } from "../../src/config/sections/routes.ts";
import { canonicalizePath, type PathRules } from "../../src/routing/canonical-path.ts";
import { createRouter, type Router } from "../../src/routing/router.ts";

const defaults: PathRules = { mergeSlashes: true, caseSensitive: true };

function route(id: string, path: string, extra: Record<string, unknown> = {}): RouteConfig {
  return routeSchema.parse({ id, path, upstream: "u", ...extra });
}

/** Routes a raw path the way the gateway does: canonicalise, then match. Returns id or code. */
function routeOf(router: Router, routes: RouteConfig[], raw: string, method = "GET", host = "") {
  const canonical = canonicalizePath(raw, defaults);
  if (!canonical.ok) return canonical.code;
  const result = router.match(method, host, canonical.path, canonical.mergedAt);
  return "miss" in result ? result.miss : routes[result.index]!.id;
}

function table(routes: RouteConfig[], rules = defaults) {
  const router = createRouter(routes, rules);
  return (raw: string, method = "GET", host = "") => routeOf(router, routes, raw, method, host);
}

describe("path forms", () => {
  const routes = [
    route("export", "/reports/export"),
    route("api", "/api/*"),
    route("invoice", "/tenants/:tenant/invoices/:id"),
    route("root", "/"),
  ];
  const find = table(routes);

  test("an exact path matches itself, with or without a trailing slash", () => {
    expect(find("/reports/export")).toBe("export");
    expect(find("/reports/export/")).toBe("export");
    expect(find("/reports/export/x")).toBe("route.not_found");
    expect(find("/reports")).toBe("route.not_found");
    expect(find("/")).toBe("root");
  });

  test("a prefix matches itself and whole segments below it, never a longer name", () => {
    for (const path of ["/api", "/api/", "/api/x", "/api/x/y/z"]) expect(find(path)).toBe("api");
    expect(find("/apix")).toBe("route.not_found");
    expect(find("/ap")).toBe("route.not_found");
  });

  test("params take one non-empty segment each and keep canonical text", () => {
    const router = createRouter(routes, defaults);
    expect(router.match("GET", "", "/tenants/acme/invoices/in%2F1")).toEqual({
      index: 2,
      params: { tenant: "acme", id: "in%2F1" },
    });
    expect(router.match("GET", "", "/tenants/acme/invoices/")).toEqual({ miss: "route.not_found" });
    expect(router.match("GET", "", "/tenants/acme/invoices/1/x")).toEqual({
      miss: "route.not_found",
    });
    expect(router.match("GET", "", "/reports/export")).toEqual({ index: 0, params: null });
  });

  test("a route written with a trailing slash is the same as without (C006 /console/)", () => {
    const find2 = table([
      route("con", "/console/*"),
      route("exact", "/status/"),
      route("pub", "/*"),
    ]);
    expect(find2("/console")).toBe("con");
    expect(find2("/console/")).toBe("con");
    expect(find2("/consoles")).toBe("pub");
    expect(find2("/status")).toBe("exact");
  });
});

describe("precedence", () => {
  test("static beats param beats prefix, at the first segment where they differ", () => {
    const find = table([
      route("any", "/*"),
      route("users-prefix", "/users/*"),
      route("user", "/users/:id"),
      route("me", "/users/me"),
    ]);
    expect(find("/users/me")).toBe("me");
    expect(find("/users/42")).toBe("user");
    expect(find("/users/42/orders")).toBe("users-prefix");
    expect(find("/users")).toBe("users-prefix");
    expect(find("/other")).toBe("any");
  });

  test("a longer prefix beats a shorter one; an exact path beats a prefix ending there", () => {
    const find = table([route("a", "/a/*"), route("ab", "/a/b/*"), route("ab-exact", "/a/b")]);
    expect(find("/a/b/c")).toBe("ab");
    expect(find("/a/b")).toBe("ab-exact");
    expect(find("/a/c")).toBe("a");
  });

  test("backtracks out of a static branch that dead-ends", () => {
    const find = table([route("static", "/a/b/d"), route("param", "/a/:x/c")]);
    expect(find("/a/b/c")).toBe("param");
    expect(find("/a/b/d")).toBe("static");
  });

  test("ties go to the route listed first", () => {
    const find = table([route("first", "/dup/:a"), route("second", "/dup/:b")]);
    expect(find("/dup/1")).toBe("first");
  });
});

describe("methods", () => {
  const routes = [
    route("export", "/reports/export", { methods: ["GET"] }),
    route("export-post", "/reports/export", { methods: ["POST"] }),
    route("pub", "/*"),
  ];
  const router = createRouter(routes, defaults);

  test("picks the route that lists the method, HEAD going with GET", () => {
    expect(routeOf(router, routes, "/reports/export", "GET")).toBe("export");
    expect(routeOf(router, routes, "/reports/export", "HEAD")).toBe("export");
    expect(routeOf(router, routes, "/reports/export", "POST")).toBe("export-post");
  });

  test("answers 405 with Allow instead of falling through to a less specific route", () => {
    expect(router.match("DELETE", "", "/reports/export")).toEqual({
      miss: "route.method_not_allowed",
      allow: "GET, HEAD, POST",
    });
  });

  test("a route without methods takes the seven the schema knows, never TRACE or CONNECT", () => {
    expect(routeOf(router, routes, "/x", "OPTIONS")).toBe("pub");
    expect(routeOf(router, routes, "/x", "TRACE")).toBe("route.method_not_allowed");
  });
});

describe("hosts", () => {
  const routes = [
    route("any", "/*"),
    route("wild", "/*", { hosts: ["*.example.com"] }),
    route("deep-wild", "/*", { hosts: ["*.eu.example.com"] }),
    route("exact", "/*", { hosts: ["api.example.com"] }),
    route("exact-admin", "/admin/*", { hosts: ["admin.example.com"] }),
  ];
  const find = table(routes);

  test("exact host beats the longest wildcard beats any host", () => {
    expect(find("/x", "GET", "api.example.com")).toBe("exact");
    expect(find("/x", "GET", "a.eu.example.com")).toBe("deep-wild");
    expect(find("/x", "GET", "www.example.com")).toBe("wild");
    expect(find("/x", "GET", "gw.test")).toBe("any");
  });

  test("a wildcard takes one or more labels but not the bare domain", () => {
    expect(find("/x", "GET", "a.b.c.example.com")).toBe("wild");
    expect(find("/x", "GET", "example.com")).toBe("any");
    expect(find("/x", "GET", "badexample.com")).toBe("any");
  });

  test("the absolute form with a final dot names the same host", () => {
    expect(find("/x", "GET", "api.example.com.")).toBe("exact");
  });

  test("a host group without a path match falls to the next group", () => {
    expect(find("/admin/x", "GET", "admin.example.com")).toBe("exact-admin");
    expect(find("/other", "GET", "admin.example.com")).toBe("wild");
  });
});

describe("letter case (C005)", () => {
  const routes = [
    route("adm", "/admin/*"),
    route("user", "/users/:id"),
    route("pub", "/*"),
  ];
  const find = table(routes);

  test("a case variant of a protected prefix is a miss, not the catch-all", () => {
    for (const path of ["/ADMIN/users", "/Admin/users", "/aDmIn/users", "/%41dmin/users"]) {
      expect(find(path)).toBe("route.not_found");
    }
    expect(find("/admin/users")).toBe("adm");
  });

  test("upper case that selects the same route is fine", () => {
    expect(find("/users/ACME-42")).toBe("user");
    expect(find("/Public/Docs")).toBe("pub");
  });

  test("a route written in capitals guards its lower-case spelling too", () => {
    const find2 = table([route("adm", "/Admin/*"), route("pub", "/*")]);
    expect(find2("/Admin/x")).toBe("adm");
    expect(find2("/admin/x")).toBe("route.not_found");
  });

  test("routes that differ only in case do not shut each other out", () => {
    const find2 = table([route("upper", "/Docs/*"), route("lower", "/docs/*")]);
    expect(find2("/Docs/a")).toBe("upper");
    expect(find2("/docs/a")).toBe("lower");
  });

  test("with caseSensitive off, any spelling selects the route and params keep case", () => {
    const rules = { mergeSlashes: true, caseSensitive: false };
    const router = createRouter(routes, rules);
    expect(router.match("GET", "", "/ADMIN/users")).toEqual({ index: 0, params: null });
    expect(router.match("GET", "", "/USERS/AbC")).toEqual({ index: 1, params: { id: "AbC" } });
  });
});

describe("merged slashes (C004)", () => {
  const find = table([route("adm", "/admin/*"), route("pub", "/*"), route("docs", "/docs/*")]);

  test("leading repeated slashes merge into the protected route", () => {
    expect(find("//admin/users")).toBe("adm");
    expect(find("///admin/users")).toBe("adm");
  });

  test("a merge that may hide a removed `..` is refused when it changes the route", () => {
    // Bun turns /public//..//admin/users into /public//admin/users before we see it.
    expect(find("/public//admin/users")).toBe("path.ambiguous");
    expect(find("/public//docs/x")).toBe("path.ambiguous");
  });

  test("a merge whose other reading selects a less specific route is accepted", () => {
    expect(find("/admin//users")).toBe("adm");
    expect(find("/public//info")).toBe("pub");
  });
});

describe("configuration", () => {
  test("bad patterns and hosts throw at compile time, naming the route", () => {
    expect(() => createRouter([route("a", "/a//b")], defaults)).toThrow("routes[0].path");
    expect(() => createRouter([route("a", "/a/:")], defaults)).toThrow("routes[0].path");
    expect(() => createRouter([route("a", "/a/:x/:x")], defaults)).toThrow("used twice");
    expect(() => createRouter([route("a", "/a/../b")], defaults)).toThrow("dot segment");
    expect(() => createRouter([route("a", "/a", { hosts: ["API.x"] })], defaults)).toThrow(
      "routes[0].hosts",
    );
    expect(() => createRouter([route("a", "/a", { hosts: ["a.x:80"] })], defaults)).toThrow(
      "without port",
    );
  });

  test("route static text is canonicalised like request paths", () => {
    const find = table([route("tilde", "/%7Euser/*")]);
    expect(find("/~user/x")).toBe("tilde");
    expect(find("/%7euser/x")).toBe("tilde");
  });
});

describe("scale", () => {
  test("10,000 routes compile and each of a sample selects its own route", () => {
    const routes: RouteConfig[] = [];
    for (let i = 0; i < 10_000; i++) {
      const kind = i % 3;
      const path = kind === 0 ? `/svc${i}/items` : kind === 1 ? `/svc${i}/*` : `/svc${i}/:id/x`;
      routes.push(route(`r${i}`, path));
    }
    const find = table(routes);
    for (const i of [0, 1, 2, 4_999, 5_000, 9_998, 9_999]) {
      const kind = i % 3;
      const path = kind === 0 ? `/svc${i}/items` : kind === 1 ? `/svc${i}/a/b` : `/svc${i}/7/x`;
      expect(find(path)).toBe(`r${i}`);
    }
    expect(find("/svc10000/items")).toBe("route.not_found");
  });
});

describe("hostile paths", () => {
  const routes = [route("adm", "/admin/*"), route("pub", "/*"), route("deep", "/a/b/c/d/:e/*")];
  const router = createRouter(routes, defaults);

  test("many merged slashes are refused without trying a reading per slash", () => {
    const canonical = canonicalizePath("/x" + "//y".repeat(5_000), defaults);
    if (!canonical.ok) throw new Error(canonical.code);
    expect(canonical.mergedAt?.length).toBe(5_000);
    expect(router.match("GET", "", canonical.path, canonical.mergedAt)).toEqual({
      miss: "path.ambiguous",
    });
  });

  test("a path with thousands of segments matches by prefix without deep recursion", () => {
    expect(router.match("GET", "", "/z".repeat(8_000))).toEqual({ index: 1, params: null });
    const deep = "/a/b/c/d/e" + "/f".repeat(8_000);
    expect(router.match("GET", "", deep)).toEqual({ index: 2, params: { e: "e" } });
  });
});
