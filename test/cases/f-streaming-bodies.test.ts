import { afterAll, beforeAll, expect, test } from "bun:test";
import { createHash } from "node:crypto";
import { readFileSync } from "node:fs";
import { connect } from "node:net";
import type { GatewayProcess } from "../support/gateway.ts";
import { parseRaw, sendRaw } from "../support/raw-http.ts";
import { startUpstream, type RecordingUpstream } from "../support/upstream.ts";
import { openRoute, startQuietGateway, testIdentity, waitUntil } from "../proxy/helpers.ts";

const MiB = 1024 * 1024;
const ids = testIdentity();
let u1: RecordingUpstream;
let uBig: ReturnType<typeof startBigDownload>;
let gateway: GatewayProcess;

beforeAll(async () => {
  u1 = await startUpstream();
  uBig = startBigDownload();
  const user = { auth: { jwt: ["idp"] }, access: { roles: ["user"] } };
  gateway = await startQuietGateway({
    identity: ids.identity,
    upstreams: { u1: { targets: [u1.url] }, big: { targets: [`http://127.0.0.1:${uBig.port}`] } },
    routes: [
      openRoute("up", "/upload/*", "u1", { methods: ["PUT"], maxBodyBytes: 10 * MiB, ...user }),
      openRoute("dl", "/download/big", "big", { methods: ["GET"] }),
    ],
  });
});

afterAll(async () => {
  await gateway.stop();
  u1.stop();
  uBig.stop();
});

/**
 * U-big: answers any request with a 200 MiB body written at about 10 MiB/s, respecting
 * backpressure, and records how many bytes the socket accepted before it closed.
 */
function startBigDownload() {
  const state = { port: 0, written: 0, closedAt: null as number | null, stop: () => {} };
  const total = 200 * MiB;
  const block = new Uint8Array(64 * 1024).fill(120);
  const listener = Bun.listen({
    hostname: "127.0.0.1",
    port: 0,
    socket: {
      data(socket) {
        socket.write(`HTTP/1.1 200 OK\r\nContent-Length: ${total}\r\n\r\n`);
        const timer = setInterval(() => {
          if (state.closedAt !== null || state.written >= total) return clearInterval(timer);
          const accepted = socket.write(block);
          if (accepted > 0) state.written += accepted;
        }, 6);
      },
      close: () => void (state.closedAt = Date.now()),
      error: () => {},
    },
  });
  state.port = listener.port;
  state.stop = () => listener.stop(true);
  return state;
}

function residentBytes(pid: number): number {
  const status = readFileSync(`/proc/${pid}/status`, "utf8");
  return Number(/VmRSS:\s+(\d+) kB/.exec(status)?.[1] ?? 0) * 1024;
}

/** A chunked PUT of `size` bytes in 64 KiB chunks every 50 ms; returns what the run saw. */
async function pacedUpload(path: string, size: number) {
  const body = crypto.getRandomValues(new Uint8Array(size));
  const socket = connect({ host: "127.0.0.1", port: gateway.port });
  socket.on("error", () => {});
  await new Promise((resolve) => socket.once("connect", resolve));
  let received = "";
  socket.on("data", (chunk: Buffer) => (received += chunk.toString("latin1")));
  socket.write(`PUT ${path} HTTP/1.1\r\nHost: gw.test\r\nAuthorization: Bearer ${ids.alice()}\r\n` +
    "Transfer-Encoding: chunked\r\n\r\n");
  const firstChunkAt = Date.now();
  for (let offset = 0; offset < size; offset += 64 * 1024) {
    const chunk = body.subarray(offset, Math.min(size, offset + 64 * 1024));
    socket.write(`${chunk.length.toString(16)}\r\n`);
    socket.write(chunk);
    socket.write("\r\n");
    await Bun.sleep(50);
  }
  socket.write("0\r\n\r\n");
  await waitUntil(() => parseRaw(received, false).status !== 0, 10_000);
  socket.destroy();
  return { body, firstChunkAt, status: parseRaw(received, false).status };
}

const sha = (bytes: Uint8Array) => createHash("sha256").update(bytes).digest("hex");

test("C036 streams chunked uploads as they arrive, intact, in bounded memory", async () => {
  const rssBefore = residentBytes(gateway.pid);
  let rssPeak = rssBefore;
  const sampler = setInterval(() => (rssPeak = Math.max(rssPeak, residentBytes(gateway.pid))), 100);
  // Step 1 plus step 4's ten concurrent copies.
  const runs = await Promise.all(
    Array.from({ length: 11 }, (_, i) => pacedUpload(`/upload/a${i}`, 8 * MiB)),
  );
  clearInterval(sampler);

  for (const [i, run] of runs.entries()) {
    expect(run.status).toBe(200);
    const record = u1.records.find((r) => r.target === `/upload/a${i}`)!;
    expect(record.firstBodyByteAt! - run.firstChunkAt).toBeLessThan(1_000);
    expect(sha(record.body)).toBe(sha(run.body));
  }
  // Soft bound from the case: the gateway does not hold the bodies (11 × 8 MiB went through).
  expect(rssPeak - rssBefore).toBeLessThan(64 * MiB);
}, 30_000);

test("C036 refuses a declared 12 MiB upload with 413 before forwarding anything", async () => {
  const before = u1.records.length;
  const response = await sendRaw(gateway.port,
    `PUT /upload/b HTTP/1.1\r\nHost: gw.test\r\nAuthorization: Bearer ${ids.alice()}\r\n` +
    `Content-Length: ${12 * MiB}\r\n\r\n`, { untilComplete: true });
  expect(response.status).toBe(413);
  expect(u1.records.length).toBe(before);
});

test("C036 stops a chunked 12 MiB upload with 413 once it passes 10 MiB", async () => {
  const before = u1.records.length;
  const chunk = "z".repeat(256 * 1024);
  const chunks = Array.from({ length: 48 }, () => `40000\r\n${chunk}\r\n`).join("");
  const response = await sendRaw(gateway.port,
    `PUT /upload/c HTTP/1.1\r\nHost: gw.test\r\nAuthorization: Bearer ${ids.alice()}\r\n` +
    `Transfer-Encoding: chunked\r\n\r\n${chunks}0\r\n\r\n`,
    { untilComplete: true, readMs: 5_000, writeSliceBytes: 256 * 1024, writeGapMs: 1 });
  expect(response.status).toBe(413);
  const forwarded = u1.records.slice(before);
  expect(forwarded.some((r) => r.complete && r.body.length === 12 * MiB)).toBe(false);
});

test("C036 cancels the upstream download when the client leaves", async () => {
  const socket = connect({ host: "127.0.0.1", port: gateway.port });
  socket.on("error", () => {});
  let received = 0;
  await new Promise<void>((resolve) => {
    socket.on("data", (chunk: Buffer) => {
      received += chunk.length;
      if (received >= 5 * MiB) resolve();
    });
    socket.write("GET /download/big HTTP/1.1\r\nHost: gw.test\r\n\r\n");
  });
  const leftAt = Date.now();
  socket.destroy();
  await waitUntil(() => uBig.closedAt !== null, 5_000);
  expect(uBig.closedAt! - leftAt).toBeLessThan(2_000);
  expect(uBig.written).toBeLessThan(5 * MiB + 32 * MiB);
}, 20_000);
