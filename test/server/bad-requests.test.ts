import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { stringify } from "yaml";
import { repoRoot, startGateway, type GatewayProcess } from "../support/gateway.ts";
import { sendRaw } from "../support/raw-http.ts";
import { startUpstream, type RecordingUpstream } from "../support/upstream.ts";

describe("requests the gateway must refuse before routing", () => {
  let upstream: RecordingUpstream;
  let gateway: GatewayProcess;

  beforeAll(async () => {
    upstream = await startUpstream();
    gateway = await startGateway({
      upstreams: { main: { targets: [upstream.url] } },
      routes: [
        { id: "admin-host", hosts: ["admin.example.com"], path: "/h/*", upstream: "main" },
        { id: "all", path: "/*", upstream: "main", auth: { anonymous: true } },
      ],
    });
  });

  afterAll(async () => {
    await gateway?.stop("SIGKILL");
    upstream?.stop();
  });

  const get = (target: string, headers: string) =>
    sendRaw(gateway.port, `GET ${target} HTTP/1.1\r\n${headers}\r\n`, { untilComplete: true });

  test("refuses repeated Host headers instead of routing on their joined value", async () => {
    const before = upstream.records.length;
    for (const pair of ["Host: evil.test\r\nHost: admin.example.com\r\n",
      "Host: admin.example.com\r\nHost: evil.test\r\n"]) {
      const response = await get("/h/x", pair);
      expect(response.status).toBe(400);
      expect(response.body).toContain("request.malformed");
    }
    expect(upstream.records.length).toBe(before);
  });

  test("refuses an empty or malformed Host, and never routes on the path Bun falls back to", async () => {
    const before = upstream.records.length;
    for (const host of ["Host: \r\n", "Host: bad host\r\n", "Host: admin.example.com..\r\n"]) {
      expect((await get("/admin/public/x", host)).status).toBe(400);
    }
    expect(upstream.records.length).toBe(before);
  });

  test("accepts a host with a port, upper case or one trailing dot", async () => {
    for (const host of ["gw.test:8080", "GW.Test", "admin.example.com.", "[::1]:80", "127.0.0.1"]) {
      expect({ host, status: (await get("/ok", `Host: ${host}\r\n`)).status })
        .toEqual({ host, status: 200 });
    }
  });

  test("answers a malformed escape in an admin path with 404, not a crash", async () => {
    const response = await fetch(`${gateway.adminUrl}/identity/keys/%E0%A4%A/revoke`, {
      method: "POST",
      headers: { authorization: `Bearer ${gateway.adminToken}` },
    });
    expect(response.status).toBe(404);
    expect(gateway.output()).not.toContain("URIError");
  });
});

describe("start-up failures", () => {
  function serveWith(config: Record<string, unknown>) {
    const dir = mkdtempSync(join(tmpdir(), "portcullis-start-"));
    const file = join(dir, "gateway.yaml");
    writeFileSync(file, stringify({
      dataDir: join(dir, "data"),
      listen: { port: 0 },
      admin: { port: 0 },
      upstreams: { main: { targets: ["http://127.0.0.1:1"] } },
      routes: [],
      ...config,
    }));
    const result = Bun.spawnSync(
      [process.execPath, join(repoRoot, "src/main.ts"), "serve", "--config", file, "--workers", "1"],
      { cwd: repoRoot, timeout: 20_000 },
    );
    return { code: result.exitCode, err: result.stderr.toString(), out: result.stdout.toString() };
  }

  test("an unusable log file stops the start with one line and no stack trace", () => {
    const dir = mkdtempSync(join(tmpdir(), "portcullis-log-"));
    writeFileSync(join(dir, "plain-file"), "");
    const result = serveWith({ log: { file: join(dir, "plain-file", "gateway.log") } });
    expect(result.code).toBe(1);
    expect(result.err).toContain("cannot open log.file");
    expect(result.err).not.toContain("    at ");
    expect(result.out).not.toContain("listening");
  });

  test("a listen address that is not this machine's is one line, not a stack trace", () => {
    const result = serveWith({ listen: { host: "999.1.1.1", port: 0 } });
    expect(result.code).toBe(1);
    expect(result.err).toContain("portcullis: cannot start:");
    expect(result.err).not.toContain("    at ");
  });

  test("a YAML alias bomb is refused as a config problem", () => {
    const dir = mkdtempSync(join(tmpdir(), "portcullis-bomb-"));
    const file = join(dir, "bomb.yaml");
    const lines = ["a: &a [x, x, x, x, x, x, x, x, x]"];
    for (let i = 0; i < 9; i++) {
      lines.push(`${String.fromCharCode(98 + i)}: &${String.fromCharCode(98 + i)} ` +
        `[*${String.fromCharCode(97 + i)}, *${String.fromCharCode(97 + i)}, *${String.fromCharCode(97 + i)}]`);
    }
    writeFileSync(file, lines.join("\n") + "\n");
    const result = Bun.spawnSync([process.execPath, join(repoRoot, "src/main.ts"), "check", file], {
      cwd: repoRoot,
      timeout: 20_000,
    });
    expect(result.exitCode).toBe(1);
    expect(result.stderr.toString()).toContain(`${file}`);
    expect(result.stderr.toString()).not.toContain("    at ");
  });
});
