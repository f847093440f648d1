/**
 * Route matching and path canonicalisation, per operation. Run: `bun bench/micro/routing.bench.ts`.
 * Matching is measured with 10, 1,000 and 10,000 routes over the same request mix; the ratio
 * against the 10-route table, printed at the end, is the number to watch (it should stay near
 * 1: the trie's cost follows path depth, not table size).
 */
import { bench, do_not_optimize, group, run, summary } from "mitata";
import { routeSchema, type RouteConfig } from "../../src/config/sections/routes.ts";
import { canonicalizePath, type PathRules } from "../../src/routing/canonical-path.ts";
import { createRouter } from "../../src/routing/router.ts";

const rules: PathRules = { mergeSlashes: true, caseSensitive: true };

/** A table of `count` routes shaped like a real API: exact, prefix and param routes per service. */
function routeTable(count: number): RouteConfig[] {
  const routes: RouteConfig[] = [];
  for (let i = 0; routes.length < count - 1; i++) {
    const base = `/svc${i}`;
    const paths = [
      `${base}/health`,
      `${base}/items/:id`,
      `${base}/items/:id/parts/:part`,
      `${base}/v1/*`,
    ];
    for (const path of paths.slice(0, count - 1 - routes.length)) {
      routes.push(routeSchema.parse({ id: `r${routes.length}`, path, upstream: "u" }));
    }
  }
  routes.push(routeSchema.parse({ id: "catch-all", path: "/*", upstream: "u" }));
  return routes;
}

/** Requests hitting routes spread over the whole table, plus misses into the catch-all. */
function requestMix(count: number): string[] {
  const services = Math.max(1, Math.floor((count - 1) / 4));
  const paths: string[] = [];
  for (let k = 0; k < 64; k++) {
    const svc = `/svc${(k * 7919) % services}`;
    paths.push([`${svc}/health`, `${svc}/items/${k}`, `${svc}/items/${k}/parts/p${k}`,
      `${svc}/v1/orders/${k}/lines`, `/static/assets/app-${k}.js`][k % 5]!);
  }
  return paths;
}

/**
 * Each request path is a fresh slice of a URL string, as the gateway takes it from `req.url`:
 * a lookup keyed on a string the engine has already hashed would flatter the numbers.
 */
function urlsOf(paths: string[]): string[] {
  return paths.map((path, k) => `http://gw.test:${8000 + k}${path}`);
}
const pathStart = "http://gw.test:8000".length;

const sizes = [10, 1_000, 10_000] as const;
for (const size of sizes) {
  const router = createRouter(routeTable(size), rules);
  const urls = urlsOf(requestMix(size));
  for (const url of urls) {
    const path = url.slice(pathStart);
    if ("miss" in router.match("GET", "gw.test", path)) throw new Error(`bench miss: ${path}`);
  }
  let i = 0;
  group(`${size} routes`, () => {
    bench(`match ${size} routes`, () => {
      do_not_optimize(router.match("GET", "gw.test", urls[i++ & 63]!.slice(pathStart)));
    });
    bench(`canonicalize+match ${size} routes`, () => {
      const canonical = canonicalizePath(urls[i++ & 63]!.slice(pathStart), rules);
      if (canonical.ok) do_not_optimize(router.match("GET", "gw.test", canonical.path));
    });
  });
}

group("canonicalizePath", () => {
  summary(() => {
    const inputs: [string, string][] = [
      ["plain", "/svc12/items/4711/parts/p9"],
      ["escaped", "/svc12/%69tems/4711/caf%c3%a9"],
      ["merged slashes", "/svc12//items/4711"],
      ["dot segments", "/svc12/items/%2e%2e/x"],
    ];
    for (const [name, path] of inputs) {
      const urls = urlsOf([path, path, path, path]);
      let i = 0;
      bench(`canonicalize ${name}`, () => {
        do_not_optimize(canonicalizePath(urls[i++ & 3]!.slice(pathStart), rules));
      });
    }
  });
});

const { benchmarks } = await run();
const avg = (name: string) =>
  benchmarks.find((b) => b.alias === name)?.runs[0]?.stats?.avg ?? Number.NaN;
console.log("\nns/op (avg), and ratio to the 10-route table measured in this run:");
for (const kind of ["match", "canonicalize+match"]) {
  const base = avg(`${kind} 10 routes`);
  for (const size of sizes) {
    const ns = avg(`${kind} ${size} routes`);
    const label = `${kind} ${size} routes`.padEnd(32);
    console.log(`  ${label} ${ns.toFixed(1).padStart(8)} ns/op   x${(ns / base).toFixed(2)}`);
  }
}
