import { afterAll, beforeAll, expect, test } from "bun:test";
import { startGateway, type GatewayProcess } from "../support/gateway.ts";
import { startUpstream, type RecordingUpstream } from "../support/upstream.ts";
import { openRoute, waitUntil } from "../proxy/helpers.ts";

// Not covered here: R-nodns (`no-such-host.invalid`). Resolving it would send a DNS query off
// this machine, and tests talk to 127.0.0.1 only; ENOTFOUND maps to 502 `upstream.dns`.

let weird: RecordingUpstream;
let junk: RecordingUpstream;
let blackhole: { port: number; stop(closeActive?: boolean): void };
let backlog: { port: number; kill(): void } | null = null;
let gateway: GatewayProcess;

/** A loopback port with nothing listening. */
function deadPort(): number {
  const listener = Bun.listen({ hostname: "127.0.0.1", port: 0, socket: { data() {} } });
  const port = listener.port;
  listener.stop(true);
  return port;
}

/**
 * A listener whose accept queue is full: python's listen(0) with one connection already
 * queued and never accepted, so a further connect() hangs in SYN-SENT (Bun.listen has no
 * backlog option). Null when python3 is not installed.
 */
async function startFullBacklog(): Promise<{ port: number; kill(): void } | null> {
  if (!Bun.which("python3")) return null;
  const script = "import socket,time\ns=socket.socket()\ns.bind(('127.0.0.1',0))\ns.listen(0)\n" +
    "print(s.getsockname()[1],flush=True)\ntime.sleep(60)\n";
  const child = Bun.spawn(["python3", "-c", script], { stdout: "pipe" });
  const { value } = await child.stdout.getReader().read();
  const port = Number(new TextDecoder().decode(value).trim());
  await Bun.connect({ hostname: "127.0.0.1", port, socket: { data() {} } });
  return { port, kill: () => child.kill() };
}

beforeAll(async () => {
  weird = await startUpstream({ respond: () => "HTTP/1.1 888 Weird\r\nContent-Length: 0\r\n\r\n" });
  junk = await startUpstream({ respond: () => "NOT HTTP AT ALL\r\n\r\n" });
  blackhole = Bun.listen({ hostname: "127.0.0.1", port: 0, socket: { data() {} } });
  backlog = await startFullBacklog();
  const url = (port: number) => `http://127.0.0.1:${port}`;
  gateway = await startGateway({
    upstreams: {
      dead: { targets: [url(deadPort())] },
      slow: { targets: [url(blackhole.port)] },
      weird: { targets: [weird.url] },
      junk: { targets: [junk.url] },
      stuck: { targets: [url(backlog?.port ?? deadPort())], connectTimeoutMs: 1_000 },
    },
    routes: [
      openRoute("dead", "/dead/*", "dead"),
      openRoute("slow", "/slow/*", "slow", { timeouts: { responseHeadersMs: 2_000 } }),
      openRoute("weird", "/weird/*", "weird"),
      openRoute("junk", "/junk/*", "junk"),
      openRoute("stuck", "/stuck/*", "stuck"),
    ],
  });
});

afterAll(async () => {
  await gateway.stop();
  weird.stop();
  junk.stop();
  blackhole.stop(true);
  backlog?.kill();
});

interface Seen {
  readonly status: number;
  readonly ms: number;
  readonly body: string;
  readonly requestId: string;
}

async function timedGet(path: string): Promise<Seen> {
  const started = performance.now();
  const response = await fetch(`${gateway.url}${path}`);
  const body = await response.text();
  const requestId = response.headers.get("x-request-id") ?? "";
  return { status: response.status, ms: performance.now() - started, body, requestId };
}

/** The access record the gateway wrote for a request. */
async function accessRecord(requestId: string): Promise<Record<string, unknown>> {
  await waitUntil(() => gateway.logText().includes(`"requestId":"${requestId}"`));
  const line = gateway.logText().split("\n")
    .find((l) => l.includes(`"requestId":"${requestId}"`) && l.includes('"access"'))!;
  return JSON.parse(line) as Record<string, unknown>;
}

/** Error bodies carry no stack trace, internal address or library message. */
function expectCleanError(seen: Seen): void {
  expect(JSON.parse(seen.body).requestId).toBe(seen.requestId);
  expect(seen.body).not.toMatch(/127\.0\.0\.1|ECONN|Error:|at .*\.ts|Failed to connect/);
}

test("C040 answers a refused connection with 502 within 1.5 s", async () => {
  const seen = await timedGet("/dead/x");
  expect(seen.status).toBe(502);
  expect(seen.ms).toBeLessThan(1_500);
  expectCleanError(seen);
  const access = await accessRecord(seen.requestId);
  expect(access).toMatchObject({ status: 502, upstreamError: "refused" });
});

test("C040 answers a silent upstream with 504 after its 2 s response-header timeout", async () => {
  const seen = await timedGet("/slow/x");
  expect(seen.status).toBe(504);
  expect(seen.ms).toBeGreaterThan(1_500);
  expect(seen.ms).toBeLessThan(2_500);
  expectCleanError(seen);
  const access = await accessRecord(seen.requestId);
  expect(access).toMatchObject({ status: 504, upstreamError: "timeout" });
});

test("C040 answers an invalid status and non-HTTP bytes with 502", async () => {
  for (const path of ["/weird/x", "/junk/x"]) {
    const seen = await timedGet(path);
    expect(seen.status).toBe(502);
    expectCleanError(seen);
    expect(await accessRecord(seen.requestId)).toMatchObject({ upstreamError: "protocol" });
  }
});

const hasPython = Bun.which("python3") !== null;

test.skipIf(!hasPython)("answers 502 when the connection is not accepted in time", async () => {
  const seen = await timedGet("/stuck/x");
  expect(seen.status).toBe(502);
  expect(JSON.parse(seen.body).code).toBe("upstream.connect_timeout");
  expect(seen.ms).toBeGreaterThan(900);
  expect(seen.ms).toBeLessThan(1_800);
});

test("C040 answers 200 concurrent requests to a dead upstream with 502 and stays up", async () => {
  const all = await Promise.all(Array.from({ length: 200 }, () => fetch(`${gateway.url}/dead/x`)));
  expect(all.map((r) => r.status)).toEqual(Array(200).fill(502));
  await Promise.all(all.map((r) => r.arrayBuffer()));

  const health = await fetch(`${gateway.adminUrl}/healthz`, { signal: AbortSignal.timeout(1_000) });
  expect(health.status).toBe(200);
  expect(gateway.output()).not.toMatch(/Unhandled|TypeError|RangeError|\n\s+at /);
});
