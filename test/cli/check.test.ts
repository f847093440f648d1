import { describe, expect, test } from "bun:test";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { repoRoot } from "../support/gateway.ts";

function run(...args: string[]) {
  const result = Bun.spawnSync([process.execPath, join(repoRoot, "src/main.ts"), ...args], {
    cwd: repoRoot,
    env: { ...process.env, NODE_ENV: "production" },
  });
  return { code: result.exitCode, out: result.stdout.toString(), err: result.stderr.toString() };
}

describe("portcullis check", () => {
  test("accepts the bundled demo config", () => {
    const result = run("check", "config/gateway.yaml");
    expect(result.err).toBe("");
    expect(result.out).toContain("config/gateway.yaml: ok");
    expect(result.code).toBe(0);
  });

  test("lists every problem with file, line and path, and exits 1", () => {
    const dir = mkdtempSync(join(tmpdir(), "portcullis-check-"));
    const file = join(dir, "bad.yaml");
    writeFileSync(file, [
      "listen:",
      "  port: -1",
      "upstreams:",
      "  api: { targets: ['ftp://example.test'] }",
      "routes:",
      "  - { id: r, path: /x, upstream: api, surprise: 1 }",
      "",
    ].join("\n"));
    const result = run("check", file);
    expect(result.code).toBe(1);
    expect(result.err).toContain(`${file}:2  listen.port`);
    expect(result.err).toContain(`${file}:4  upstreams.api.targets[0]`);
    expect(result.err).toContain(`${file}:6  routes[0].surprise: unknown key`);
  });

  test("the bundled policy expectations hold for the bundled config", () => {
    const result = run("policy", "test", "config/policy-tests.yaml");
    expect(result.out).toContain("0 failed");
    expect(result.code).toBe(0);
  });

  test("names a missing file instead of crashing", () => {
    const result = run("check", "/nonexistent/gateway.yaml");
    expect(result.code).toBe(1);
    expect(result.err).toContain("cannot read file (ENOENT)");
  });

  test("every subcommand has --help", () => {
    const top = run("--help");
    expect(top.code).toBe(0);
    const commands = ["serve", "check", "demo", "keys", "consumers", "policy", "audit"];
    for (const command of commands) {
      expect(top.out).toContain(command);
      const help = run(command, "--help");
      expect(help.code).toBe(0);
      expect(help.out).toContain(`Usage: portcullis ${command}`);
    }
  });
});
