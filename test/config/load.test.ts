import { describe, expect, test } from "bun:test";
import { ConfigError, parseConfigText } from "../../src/config/load.ts";

const minimal = `
upstreams:
  api:
    targets: ["http://127.0.0.1:3000"]
routes:
  - id: r1
    path: /api/*
    upstream: api
`;

function problemsOf(text: string, env: Record<string, string> = {}) {
  try {
    parseConfigText(text, "test.yaml", env);
  } catch (error) {
    if (error instanceof ConfigError) return error.problems;
    throw error;
  }
  throw new Error("config was accepted");
}

describe("config loading", () => {
  test("fills defaults and freezes the result", () => {
    const config = parseConfigText(minimal, "test.yaml", {});
    expect(config.listen.port).toBe(8080);
    expect(config.listen.maxBodyBytes).toBe(10 * 1024 * 1024);
    expect(config.paths.mergeSlashes).toBe(true);
    expect(Object.isFrozen(config.routes[0])).toBe(true);
  });

  test("reports every problem at once with its path and line", () => {
    const text = `listen:
  port: 80800
  colour: blue
upstreams:
  api:
    targets: ["http://127.0.0.1:3000/with-path"]
routes: []
`;
    const problems = problemsOf(text);
    expect(problems).toContainEqual({ path: "listen.colour", message: "unknown key", line: 3 });
    const port = problems.find((p) => p.path === "listen.port");
    expect(port?.line).toBe(2);
    const target = problems.find((p) => p.path === "upstreams.api.targets[0]");
    expect(target?.line).toBe(6);
  });

  test("rejects a route naming an unknown upstream and duplicate route ids", () => {
    const text = `${minimal}  - id: r1
    path: /b
    upstream: nowhere
`;
    const problems = problemsOf(text);
    expect(problems.map((p) => p.path).sort()).toEqual(["routes[1].id", "routes[1].upstream"]);
    expect(problems.find((p) => p.path === "routes[1].upstream")?.line).toBe(11);
  });

  test("substitutes environment variables and names a missing one with its line", () => {
    const text = minimal.replace("http://127.0.0.1:3000", "${API_ORIGIN}");
    expect(parseConfigText(text, "t", { API_ORIGIN: "http://127.0.0.1:4000" }).upstreams.api
      ?.targets).toEqual(["http://127.0.0.1:4000"]);
    expect(problemsOf(text)).toContainEqual({
      path: "upstreams.api.targets[0]",
      message: "environment variable API_ORIGIN is not set",
      line: 4,
    });
  });

  test("reports a missing variable, schema errors and broken references together", () => {
    const text = `admin:
  token: \${ADMIN_TOKEN_UNSET}
listen:
  colour: red
upstreams:
  api: { targets: ["http://127.0.0.1:3000"] }
routes:
  - { id: r1, path: /a, upstream: nowhere }
`;
    const paths = problemsOf(text).map((p) => `${p.line} ${p.path}`);
    expect(paths).toEqual(["2 admin.token", "4 listen.colour", "8 routes[0].upstream"]);
  });

  test("points at the line of a YAML syntax error", () => {
    const problems = problemsOf("routes:\n  - id: [unclosed\n");
    expect(problems[0]?.line).toBeGreaterThanOrEqual(2);
  });
});

describe("cross-section checks", () => {
  test("refuses two limits with one id on the same route", () => {
    const text = `${minimal}    limits:
      - { id: l, key: route, ratePerSec: 1, burst: 1 }
      - { id: l, key: route, ratePerSec: 2, burst: 2 }
`;
    const problems = problemsOf(text);
    expect(problems).toContainEqual({ path: "routes[0].limits[1].id", message: 'duplicate limit id "l"', line: 11 });
  });
});
