import { afterAll, beforeAll, expect, test } from "bun:test";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { gzipSync } from "node:zlib";
import type { GatewayProcess } from "../support/gateway.ts";
import { openRoute, startQuietGateway } from "./helpers.ts";

// `https:` targets go through Bun's fetch instead of the pooled HTTP/1.1 client. A test
// certificate needs openssl; without it these tests are skipped.
const hasOpenssl = Bun.which("openssl") !== null;
const payload = gzipSync("secure payload ".repeat(100));

let dir = "";
let upstream: ReturnType<typeof Bun.serve> | null = null;
let trusting: GatewayProcess | null = null;
let strict: GatewayProcess | null = null;
let seenHost = "";

beforeAll(async () => {
  if (!hasOpenssl) return;
  dir = mkdtempSync(join(tmpdir(), "portcullis-tls-"));
  const made = Bun.spawnSync(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes",
    "-keyout", join(dir, "key.pem"), "-out", join(dir, "cert.pem"), "-days", "1",
    "-subj", "/CN=127.0.0.1"]);
  if (made.exitCode !== 0) throw new Error("openssl could not make a test certificate");
  upstream = Bun.serve({
    hostname: "127.0.0.1",
    port: 0,
    tls: { key: readFileSync(join(dir, "key.pem")), cert: readFileSync(join(dir, "cert.pem")) },
    async fetch(request) {
      seenHost = request.headers.get("host") ?? "";
      if (request.method === "POST") return new Response(`got ${(await request.bytes()).length}`);
      return new Response(payload, {
        headers: {
          "content-encoding": "gzip",
          connection: "x-secret-hop",
          "x-secret-hop": "1",
          "proxy-authenticate": "Basic",
        },
      });
    },
  });
  const config = {
    upstreams: { tls: { targets: [`https://127.0.0.1:${upstream.port}`] } },
    routes: [openRoute("tls", "/tls/*", "tls", { maxBodyBytes: 100_000 })],
  };
  // The test certificate is self-signed: one gateway is told to skip verification.
  trusting = await startQuietGateway(config, { env: { NODE_TLS_REJECT_UNAUTHORIZED: "0" } });
  strict = await startQuietGateway(config);
});

afterAll(async () => {
  await trusting?.stop();
  await strict?.stop();
  upstream?.stop(true);
  if (dir) rmSync(dir, { recursive: true, force: true });
});

test.skipIf(!hasOpenssl)("forwards to an https target with bytes and headers intact", async () => {
  const response = await fetch(`${trusting!.url}/tls/x`, { decompress: false });
  expect(response.status).toBe(200);
  expect(response.headers.get("content-encoding")).toBe("gzip");
  expect(response.headers.get("x-secret-hop")).toBeNull();
  expect(response.headers.get("proxy-authenticate")).toBeNull();
  expect(Buffer.from(await response.arrayBuffer()).equals(payload)).toBe(true);
  expect(seenHost).toBe(`127.0.0.1:${upstream!.port}`);
});

test.skipIf(!hasOpenssl)("answers 502 when the target's certificate is not trusted", async () => {
  const response = await fetch(`${strict!.url}/tls/x`);
  expect(response.status).toBe(502);
  expect(((await response.json()) as { code: string }).code).toBe("upstream.protocol");
});

test.skipIf(!hasOpenssl)("enforces the route body limit on a streamed upload", async () => {
  const chunks = (count: number) => new ReadableStream<Uint8Array>({
    start(controller) {
      for (let i = 0; i < count; i++) controller.enqueue(new Uint8Array(20_000));
      controller.close();
    },
  });
  const small = await fetch(`${trusting!.url}/tls/up`, { method: "POST", body: chunks(4) });
  expect(await small.text()).toBe("got 80000");
  const large = await fetch(`${trusting!.url}/tls/up`, { method: "POST", body: chunks(10) });
  expect(large.status).toBe(413);
});
