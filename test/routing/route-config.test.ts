import { expect, test } from "bun:test";
import { ConfigError, parseConfigText } from "../../src/config/load.ts";

const header = `upstreams:\n  u: { targets: ["http://127.0.0.1:9"] }\nroutes:\n`;

function problemsOf(routes: string): string[] {
  try {
    parseConfigText(header + routes, "gw.yaml", {});
  } catch (error) {
    if (error instanceof ConfigError) return error.problems.map((p) => `${p.line} ${p.path}`);
    throw error;
  }
  return [];
}

test("route pattern problems are config errors with their path and line", () => {
  const routes = [
    "  - { id: a, path: /a/:x/:x, upstream: u }",
    "  - { id: b, path: /b/*, upstream: u, hosts: [Api.Example.com] }",
    "  - { id: c, path: /c/*, upstream: u, rewrite: /d/:nope }",
    "  - { id: d, path: /d/../e, upstream: u }",
    "  - { id: ok, path: /t/:tenant/*, upstream: u, rewrite: /v2/:tenant/* }",
  ].join("\n");
  expect(problemsOf(routes)).toEqual([
    "4 routes[0].path",
    "5 routes[1].hosts",
    "6 routes[2].rewrite",
    "7 routes[3].path",
  ]);
});
