import { mkdtempSync, readFileSync, existsSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { stringify } from "yaml";

export const repoRoot = resolve(import.meta.dir, "../..");
export const testAdminToken = "test-admin-token-0123456789abcdef";

export interface GatewayProcess {
  /** Proxy listener base URL, e.g. http://127.0.0.1:40123 */
  readonly url: string;
  readonly port: number;
  readonly adminUrl: string;
  readonly adminToken: string;
  readonly pid: number;
  /** Temp folder holding the config, data dir and log file. */
  readonly dir: string;
  readonly configPath: string;
  readonly logPath: string;
  readonly dataDir: string;
  /** Everything the process wrote to stdout and stderr so far. */
  output(): string;
  /** The operational/access log file's content so far. */
  logText(): string;
  /** Replaces the config file (for reload tests); does not signal the process. */
  writeConfig(config: Record<string, unknown>): void;
  /** Sends the signal (SIGTERM by default) and waits for exit; SIGKILL after 15 s. */
  stop(signal?: NodeJS.Signals): Promise<number | null>;
  readonly exited: Promise<number>;
}

export interface StartOptions {
  readonly env?: Record<string, string>;
  /** Extra CLI arguments after `serve --config FILE`. */
  readonly args?: string[];
  /** Run this executable instead of `bun src/main.ts` (the compiled binary test). */
  readonly command?: string[];
  /** Reuse a folder (restart tests keep their data dir). */
  readonly dir?: string;
  readonly readyTimeoutMs?: number;
}

const running = new Set<ReturnType<typeof Bun.spawn>>();
process.on("exit", () => running.forEach((child) => child.kill("SIGKILL")));

/**
 * Starts a real gateway process on 127.0.0.1 with the given config. Unless the config says
 * otherwise it listens on port 0, keeps its data and log file in a fresh temp folder, and has
 * an admin token. Resolves once the process printed its listening line.
 */
export async function startGateway(
  config: Record<string, unknown>,
  options: StartOptions = {},
): Promise<GatewayProcess> {
  const dir = options.dir ?? mkdtempSync(join(tmpdir(), "portcullis-test-"));
  const configPath = join(dir, "gateway.yaml");
  const logPath = join(dir, "gateway.log");
  const dataDir = join(dir, "data");
  const fill = (c: Record<string, unknown>) => withTestDefaults(c, dataDir, logPath);
  writeFileSync(configPath, stringify(fill(config)));

  const command = options.command ?? [process.execPath, join(repoRoot, "src/main.ts")];
  // One process unless a test asks for workers: `serve` defaults to one worker per core.
  const args = options.args ?? [];
  const workers = args.includes("--workers") ? [] : ["--workers", "1"];
  const child = Bun.spawn([...command, "serve", "--config", configPath, ...workers, ...args], {
    cwd: repoRoot,
    env: { ...process.env, NODE_ENV: "production", ...options.env },
    stdout: "pipe",
    stderr: "pipe",
  });
  running.add(child);
  const exited = child.exited.then((code) => {
    running.delete(child);
    return code;
  });

  let text = "";
  const collect = async (stream: ReadableStream<Uint8Array>) => {
    const decoder = new TextDecoder();
    for await (const chunk of stream) text += decoder.decode(chunk, { stream: true });
  };
  void collect(child.stdout);
  void collect(child.stderr);

  const ready = await waitFor(
    () => /portcullis listening proxy=(\S+) admin=(\S+)/.exec(text),
    exited,
    options.readyTimeoutMs ?? 20_000,
  );
  if (!ready) {
    child.kill("SIGKILL");
    throw new Error(`gateway did not start:\n${text}`);
  }
  const url = ready[1]!;
  return {
    url,
    port: Number(new URL(url).port),
    adminUrl: ready[2]!,
    adminToken: testAdminToken,
    pid: child.pid,
    dir,
    configPath,
    logPath,
    dataDir,
    exited,
    output: () => text,
    logText: () => (existsSync(logPath) ? readFileSync(logPath, "latin1") : ""),
    writeConfig: (next) => writeFileSync(configPath, stringify(fill(next))),
    async stop(signal = "SIGTERM") {
      if (child.exitCode !== null) return child.exitCode;
      child.kill(signal);
      const timeout = Bun.sleep(15_000).then(() => "timeout" as const);
      if ((await Promise.race([exited, timeout])) === "timeout") child.kill("SIGKILL");
      return exited;
    },
  };
}

function withTestDefaults(config: Record<string, unknown>, dataDir: string, logPath: string) {
  const section = (name: string) => (config[name] ?? {}) as Record<string, unknown>;
  return {
    dataDir,
    ...config,
    listen: { host: "127.0.0.1", port: 0, ...section("listen") },
    admin: { host: "127.0.0.1", port: 0, token: testAdminToken, ...section("admin") },
    // Unbuffered log lines, so a test reads what was logged the moment it was logged.
    log: { level: "info", file: logPath, bufferBytes: 0, ...section("log") },
  };
}

async function waitFor<T>(probe: () => T | null, exited: Promise<number>, timeoutMs: number) {
  let done = false;
  void exited.then(() => (done = true));
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    const value = probe();
    if (value) return value;
    if (done) return probe();
    await Bun.sleep(20);
  }
  return null;
}
