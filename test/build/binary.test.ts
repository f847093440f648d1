import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { mkdtempSync, renameSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { repoRoot, startGateway, type GatewayProcess } from "../support/gateway.ts";
import { startUpstream, type RecordingUpstream } from "../support/upstream.ts";

/**
 * `npm run build` makes one executable. It is built here into a temp folder, then moved to
 * another folder with no node_modules anywhere above it, and must still proxy a request.
 */
describe("compiled binary", () => {
  let upstream: RecordingUpstream;
  let gateway: GatewayProcess;
  let binary: string;

  beforeAll(async () => {
    const buildDir = mkdtempSync(join(tmpdir(), "portcullis-build-"));
    const built = join(buildDir, "portcullis");
    const build = Bun.spawnSync(
      [process.execPath, "build", "--compile", "--no-compile-autoload-dotenv",
        "--no-compile-autoload-bunfig", "src/main.ts", "--outfile", built],
      { cwd: repoRoot },
    );
    if (build.exitCode !== 0) throw new Error(build.stderr.toString());
    const elsewhere = mkdtempSync(join(tmpdir(), "portcullis-standalone-"));
    binary = join(elsewhere, "portcullis");
    renameSync(built, binary);
    upstream = await startUpstream();
  }, 120_000);

  afterAll(async () => {
    await gateway?.stop("SIGKILL");
    upstream?.stop();
  });

  test("runs standalone and proxies a request", async () => {
    expect(statSync(binary).mode & 0o111).not.toBe(0);
    gateway = await startGateway(
      {
        upstreams: { main: { targets: [upstream.url] } },
        routes: [{ id: "all", path: "/*", upstream: "main", auth: { anonymous: true } }],
      },
      { command: [binary] },
    );
    const response = await fetch(`${gateway.url}/hello?x=1`);
    if (response.status !== 200) console.log(gateway.logText(), gateway.output());
    expect(response.status).toBe(200);
    expect(upstream.records.at(-1)?.target).toBe("/hello?x=1");
  });

  test("answers errors without a development page or stack trace", async () => {
    const response = await fetch(`${gateway.url}/%zz`);
    expect(response.status).toBe(400);
    expect(response.headers.get("content-type")).toBe("application/problem+json");
    expect(await response.text()).not.toContain("at ");
  });

  test("validates a config file with the check subcommand", () => {
    const result = Bun.spawnSync([binary, "check", join(repoRoot, "config/gateway.yaml")]);
    expect(result.stdout.toString()).toContain("ok");
    expect(result.exitCode).toBe(0);
  });
});
