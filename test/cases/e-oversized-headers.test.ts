import { afterAll, beforeAll, expect, test } from "bun:test";
import type { GatewayProcess } from "../support/gateway.ts";
import { sendRaw } from "../support/raw-http.ts";
import { headerValues, startUpstream, type RecordingUpstream } from "../support/upstream.ts";
import { openRoute, rawResponse, startQuietGateway } from "../proxy/helpers.ts";

let u1: RecordingUpstream;
let uBig: RecordingUpstream;
let gateway: GatewayProcess;

beforeAll(async () => {
  u1 = await startUpstream();
  uBig = await startUpstream({
    respond: () => rawResponse("200 OK", [`X-Big: ${"b".repeat(64 * 1024)}`], "big"),
  });
  gateway = await startQuietGateway({
    listen: { maxHeaderCount: 100 },
    upstreams: { u1: { targets: [u1.url] }, big: { targets: [uBig.url] } },
    routes: [openRoute("pub", "/public/*", "u1"), openRoute("big", "/big/*", "big")],
  });
});

afterAll(async () => {
  await gateway.stop();
  u1.stop();
  uBig.stop();
});

const get = (target: string, fields = "") =>
  `GET ${target} HTTP/1.1\r\nHost: gw.test\r\n${fields}\r\n`;

/** After a rejection the gateway still serves a normal request on a new connection. */
async function expectHealthy(): Promise<void> {
  const response = await sendRaw(gateway.port, get("/public/ok"), { untilComplete: true });
  expect(response.status).toBe(200);
}

const oversized: Record<string, { request: string; statuses: number[] }> = {
  "one 20 000-byte header": { request: get("/public/a", `X-Big: ${"a".repeat(20_000)}\r\n`),
    statuses: [431] },
  "150 small headers": {
    request: get("/public/b", Array.from({ length: 150 }, (_, i) => `X-H${i}: v\r\n`).join("")),
    statuses: [431],
  },
  "a 20 KiB request-target": { request: get(`/public/${"t".repeat(20 * 1024)}`),
    statuses: [414, 431] },
  "a 15 KiB cookie plus ordinary headers": {
    request: get("/public/c", `Cookie: k=${"c".repeat(15 * 1024)}\r\nUser-Agent: case-runner\r\n` +
      `Accept: ${"x/y,".repeat(400)}*/*\r\n`),
    statuses: [431],
  },
};

test("C033 answers 431 (or 414) to oversized request heads and forwards nothing", async () => {
  for (const [name, { request, statuses }] of Object.entries(oversized)) {
    const before = u1.records.length;
    const response = await sendRaw(gateway.port, request, { untilComplete: true });
    // Never a reset without an answer.
    expect({ name, ok: statuses.includes(response.status) }).toEqual({ name, ok: true });
    expect(u1.records.length).toBe(before);
    await expectHealthy();
  }
});

test("C033 forwards ~15 KiB of headers under every limit byte for byte", async () => {
  const values = Array.from({ length: 15 }, (_, i) => `${i}-${"v".repeat(990)}~!#$%&'*+^_|`);
  const fields = values.map((value, i) => `X-Fill-${i}: ${value}\r\n`).join("");
  const response = await sendRaw(gateway.port, get("/public/fill", fields),
    { untilComplete: true });
  expect(response.status).toBe(200);
  const record = u1.records.at(-1)!;
  values.forEach((value, i) => expect(headerValues(record, `x-fill-${i}`)).toEqual([value]));
});

test("C033 answers 502 to an oversized upstream response head, relaying none of it", async () => {
  const response = await sendRaw(gateway.port, get("/big/x"), { untilComplete: true });
  expect(response.status).toBe(502);
  expect(response.text).not.toContain("bbbb");
  expect(response.text).not.toContain("X-Big");
  await expectHealthy();
});
