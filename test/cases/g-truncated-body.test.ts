import { afterAll, beforeAll, expect, test } from "bun:test";
import type { GatewayProcess } from "../support/gateway.ts";
import { rawHeader, sendRaw } from "../support/raw-http.ts";
import { startUpstream, type RecordingUpstream } from "../support/upstream.ts";
import { decodeChunked, openRoute, startQuietGateway, writeRaw } from "../proxy/helpers.ts";

const tenThousand = "x".repeat(10_000);
const heads: Record<string, string> = {
  R1: "HTTP/1.1 200 OK\r\nContent-Type: application/octet-stream\r\nContent-Length: 100000\r\n\r\n",
  R2: "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n2710\r\n",
  R3: "HTTP/1.1 200 OK\r\nConnection: close\r\n\r\n",
};

let uReset: RecordingUpstream;
let gateway: GatewayProcess;

beforeAll(async () => {
  uReset = await startUpstream({
    respond(record, socket) {
      const mode = record.target.slice("/rst/".length);
      // R0: reset right after reading the request.
      if (mode === "R0") return void socket.terminate();
      writeRaw(socket, heads[mode]! + tenThousand + (mode === "R2" ? "\r\n" : ""));
      // terminate() closes with SO_LINGER 0: a TCP reset, not a clean FIN.
      setTimeout(() => socket.terminate(), 100);
      return "";
    },
  });
  gateway = await startQuietGateway({
    upstreams: { reset: { targets: [uReset.url] } },
    routes: [openRoute("rst", "/rst/*", "reset")],
  });
});

afterAll(async () => {
  await gateway.stop();
  uReset.stop();
});

const get = (mode: string) => `GET /rst/${mode} HTTP/1.1\r\nHost: gw.test\r\n\r\n`;

/** The body bytes the client got and whether the message was delimited as complete. */
function received(response: Awaited<ReturnType<typeof sendRaw>>) {
  if (rawHeader(response, "transfer-encoding") === "chunked") return decodeChunked(response.body);
  const length = Number(rawHeader(response, "content-length") ?? -1);
  return { body: response.body, complete: length >= 0 && response.body.length >= length };
}

test("C041 R0: a reset before any response answers 502", async () => {
  const response = await sendRaw(gateway.port, get("R0"), { untilComplete: true });
  expect(response.status).toBe(502);
});

for (const mode of ["R1", "R2", "R3"]) {
  test(`C041 ${mode}: a reset mid-body reaches the client as a truncated message`, async () => {
    const response = await sendRaw(gateway.port, get(mode), { readMs: 3_000 });
    expect(response.status).toBe(200);
    expect(response.closed).toBe(true);
    const { body, complete } = received(response);
    expect(complete).toBe(false);
    expect(body.length).toBeGreaterThan(0);
    expect(body.length).toBeLessThan(100_000);
    expect(body).toBe(tenThousand.slice(0, body.length));
    // Never the terminating zero-length chunk of a clean chunked ending.
    expect(response.body.endsWith("0\r\n\r\n")).toBe(false);
  });
}
