import { afterAll, beforeAll, expect, test } from "bun:test";
import { gzipSync } from "node:zlib";
import type { GatewayProcess } from "../support/gateway.ts";
import { rawHeader, sendRaw } from "../support/raw-http.ts";
import { headerValues, startUpstream, type RecordingUpstream } from "../support/upstream.ts";
import { openRoute, startQuietGateway } from "../proxy/helpers.ts";

// A 50 000-byte JSON document, and its gzip form (M bytes).
const plain = JSON.stringify({ pad: "", rows: Array.from({ length: 2_000 }, (_, i) => i) });
const padding = "p".repeat(50_000 - plain.length);
const document = Buffer.from(plain.replace('"pad":""', `"pad":"${padding}"`));
const gzipped = gzipSync(document);

let uGz: RecordingUpstream;
let gateway: GatewayProcess;

beforeAll(async () => {
  uGz = await startUpstream({
    respond(record) {
      const wantsGzip = /gzip/i.test(headerValues(record, "accept-encoding").join(","));
      const body = wantsGzip ? gzipped : document;
      const fields = wantsGzip
        ? "Content-Encoding: gzip\r\nVary: Accept-Encoding\r\n"
        : "Vary: Accept-Encoding\r\n";
      const head = `HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n${fields}` +
        `Content-Length: ${body.length}\r\n\r\n`;
      return Buffer.concat([Buffer.from(head), record.method === "HEAD" ? Buffer.alloc(0) : body]);
    },
  });
  gateway = await startQuietGateway({
    upstreams: { gz: { targets: [uGz.url] } },
    routes: [openRoute("gz", "/gz/*", "gz")],
  });
});

afterAll(async () => {
  await gateway.stop();
  uGz.stop();
});

const request = (method: string, fields: string) =>
  `${method} /gz/doc HTTP/1.1\r\nHost: gw.test\r\n${fields}\r\n`;

test("C037 passes a gzip body through byte-identical with its Content-Length", async () => {
  expect(document.length).toBe(50_000);
  const response = await sendRaw(gateway.port, request("GET", "Accept-Encoding: gzip\r\n"),
    { untilComplete: true });
  expect(response.status).toBe(200);
  expect(rawHeader(response, "content-encoding")).toBe("gzip");
  expect(rawHeader(response, "content-length")).toBe(String(gzipped.length));
  expect(Buffer.from(response.body, "latin1").equals(gzipped)).toBe(true);
  expect(headerValues(uGz.records.at(-1)!, "accept-encoding")).toEqual(["gzip"]);
});

test("C037 returns the plain document when the client accepts no encoding", async () => {
  const variants = [["", []], ["Accept-Encoding: identity\r\n", ["identity"]]] as const;
  for (const [fields, seen] of variants) {
    const response = await sendRaw(gateway.port, request("GET", fields), { untilComplete: true });
    expect(response.status).toBe(200);
    expect(rawHeader(response, "content-encoding")).toBeUndefined();
    expect(rawHeader(response, "content-length")).toBe("50000");
    expect(Buffer.from(response.body, "latin1").equals(document)).toBe(true);
    // The gateway's HTTP client added no encoding list of its own.
    expect(headerValues(uGz.records.at(-1)!, "accept-encoding")).toEqual([...seen]);
  }
});

test("C037 answers HEAD with the headers a GET would carry and no body", async () => {
  const response = await sendRaw(gateway.port, request("HEAD", "Accept-Encoding: gzip\r\n"),
    { readMs: 500 });
  expect(response.status).toBe(200);
  expect(rawHeader(response, "content-encoding")).toBe("gzip");
  expect(rawHeader(response, "content-length")).toBe(String(gzipped.length));
  expect(response.body).toBe("");
});
