import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import type { GatewayProcess } from "../support/gateway.ts";
import { sendRaw } from "../support/raw-http.ts";
import { startUpstream, type RecordingUpstream } from "../support/upstream.ts";
import { openRoute, startQuietGateway } from "./helpers.ts";

let upstream: RecordingUpstream;
let gateway: GatewayProcess;

beforeAll(async () => {
  upstream = await startUpstream();
  gateway = await startQuietGateway({
    upstreams: { echo: { targets: [upstream.url] } },
    routes: [
      openRoute("small", "/small/*", "echo", { maxBodyBytes: 1_000 }),
      openRoute("large", "/large/*", "echo", { maxBodyBytes: 200_000 }),
    ],
  });
});

afterAll(async () => {
  await gateway.stop();
  upstream.stop();
});

const chunkedPut = (path: string) =>
  `PUT ${path} HTTP/1.1\r\nHost: gw.test\r\nTransfer-Encoding: chunked\r\n\r\n`;

function chunked(parts: string[]): string {
  return parts.map((p) => `${p.length.toString(16)}\r\n${p}\r\n`).join("") + "0\r\n\r\n";
}

describe("route body limit", () => {
  test("refuses a declared length over the limit with 413, forwarding nothing", async () => {
    const before = upstream.records.length;
    const response = await sendRaw(gateway.port,
      "POST /small/x HTTP/1.1\r\nHost: gw.test\r\nContent-Length: 1001\r\n\r\n" + "a".repeat(1001),
      { untilComplete: true });
    expect(response.status).toBe(413);
    expect(JSON.parse(response.body).code).toBe("request.body_too_large");
    expect(upstream.records.length).toBe(before);
  });

  test("forwards a body exactly at the limit", async () => {
    const body = "b".repeat(1_000);
    const response = await fetch(`${gateway.url}/small/x`, { method: "POST", body });
    expect(response.status).toBe(200);
    expect(upstream.records.at(-1)!.body.length).toBe(1_000);
  });

  test("stops a chunked body once it crosses the limit and answers 413", async () => {
    const before = upstream.records.length;
    const parts = Array.from({ length: 30 }, () => "c".repeat(10_000));
    const response = await sendRaw(gateway.port,
      chunkedPut("/large/x") + chunked(parts),
      { untilComplete: true, readMs: 3_000 });
    expect(response.status).toBe(413);
    const forwarded = upstream.records.slice(before);
    // The upstream may have seen the start of the request, never a completed one.
    expect(forwarded.every((record) => !record.complete)).toBe(true);
  });

  test("streams a chunked body under the limit completely", async () => {
    const parts = Array.from({ length: 15 }, (_, i) => String(i % 10).repeat(10_000));
    const response = await sendRaw(gateway.port,
      chunkedPut("/large/y") + chunked(parts),
      { untilComplete: true });
    expect(response.status).toBe(200);
    const record = upstream.records.at(-1)!;
    expect(record.complete).toBe(true);
    expect(Buffer.from(record.body).toString()).toBe(parts.join(""));
  });
});

describe("Expect", () => {
  test("refuses an expectation other than 100-continue with 417", async () => {
    const before = upstream.records.length;
    const response = await sendRaw(gateway.port,
      "PUT /small/x HTTP/1.1\r\nHost: gw.test\r\nContent-Length: 2\r\n" +
        "Expect: something-else\r\n\r\nhi",
      { untilComplete: true });
    expect(response.status).toBe(417);
    expect(upstream.records.length).toBe(before);
  });
});
