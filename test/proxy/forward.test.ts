import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { gzipSync } from "node:zlib";
import { connect } from "node:net";
import type { GatewayProcess } from "../support/gateway.ts";
import { rawHeader, sendRaw } from "../support/raw-http.ts";
import { headerValues, startUpstream, type RecordingUpstream } from "../support/upstream.ts";
import { decodeChunked, openRoute, rawResponse, startQuietGateway, writeRaw } from "./helpers.ts";

const smallDocument = JSON.stringify({ items: Array.from({ length: 400 }, (_, i) => ({ i })) });
const smallGzip = gzipSync(smallDocument);
// Random bytes do not compress: the gzip stream stays larger than the 64 KiB buffering limit.
const bigGzip = gzipSync(crypto.getRandomValues(new Uint8Array(200_000)));

let echo: RecordingUpstream;
let script: RecordingUpstream;
let gateway: GatewayProcess;

beforeAll(async () => {
  echo = await startUpstream();
  script = await startUpstream({
    respond(record, socket) {
      const path = record.target;
      if (path === "/cookies") {
        return rawResponse("200 OK", ["Set-Cookie: a=1; Path=/", "Set-Cookie: b=2; HttpOnly"], "c");
      }
      if (path === "/gz/small") {
        return rawResponse("200 OK", ["Content-Encoding: gzip", "Content-Type: application/json"],
          smallGzip);
      }
      if (path === "/gz/big") return rawResponse("200 OK", ["Content-Encoding: gzip"], bigGzip);
      if (path === "/stream") {
        writeRaw(socket, "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nfirst\r\n");
        setTimeout(() => writeRaw(socket, "6\r\nsecond\r\n0\r\n\r\n"), 400);
        return "";
      }
      if (path === "/trailers") {
        return "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\nTrailer: X-Sum\r\n\r\n" +
          "3;ext=1\r\nabc\r\n0\r\nX-Sum: 99\r\n\r\n";
      }
      if (path === "/bighead") {
        return rawResponse("200 OK", [`X-Big: ${"a".repeat(40 * 1024)}`], "never");
      }
      if (path === "/interim") {
        return "HTTP/1.1 103 Early Hints\r\nLink: </s.css>\r\n\r\n" +
          rawResponse("200 OK", [], "after-hints").toString("latin1");
      }
      if (path === "/junk") return "NOT HTTP AT ALL\r\n\r\n";
      if (path === "/weird") return "HTTP/1.1 888 Weird\r\nContent-Length: 0\r\n\r\n";
      if (path === "/head") return "HTTP/1.1 200 OK\r\nContent-Length: 1234\r\n\r\n";
      if (path === "/not-modified") return "HTTP/1.1 304 Not Modified\r\nETag: \"v1\"\r\n\r\n";
      if (path === "/close-delimited") {
        writeRaw(socket, "HTTP/1.1 200 OK\r\nConnection: close\r\n\r\nuntil-");
        setTimeout(() => socket.end("close"), 50);
        return "";
      }
      return rawResponse("404 Not Found", [], "");
    },
  });
  gateway = await startQuietGateway({
    upstreams: { echo: { targets: [echo.url] }, script: { targets: [script.url] } },
    routes: [openRoute("echo", "/echo/*", "echo"), openRoute("script", "/*", "script")],
  });
});

afterAll(async () => {
  await gateway.stop();
  echo.stop();
  script.stop();
});

describe("forwardRequest", () => {
  test("forwards the query string byte for byte and sets Host to the target", async () => {
    const query = "?b=%2F&c=d+e&&f=%zz&g=caf%C3%A9";
    const response = await sendRaw(gateway.port,
      `GET /echo/a${query} HTTP/1.1\r\nHost: gw.test\r\n\r\n`, { untilComplete: true });
    expect(response.status).toBe(200);
    const record = echo.records.at(-1)!;
    expect(record.target).toBe(`/echo/a${query}`);
    expect(headerValues(record, "host")).toEqual([`127.0.0.1:${echo.port}`]);
    expect(headerValues(record, "x-forwarded-host")).toEqual(["gw.test"]);
  });

  test("keeps several Set-Cookie fields as separate lines", async () => {
    const response = await sendRaw(gateway.port, "GET /cookies HTTP/1.1\r\nHost: gw.test\r\n\r\n",
      { untilComplete: true });
    const cookies = response.headers.filter(([name]) => name === "set-cookie").map(([, v]) => v);
    expect(cookies).toEqual(["a=1; Path=/", "b=2; HttpOnly"]);
  });

  test("passes a small gzip body through byte-identical with its Content-Length", async () => {
    const response = await fetch(`${gateway.url}/gz/small`, { decompress: false });
    expect(response.headers.get("content-encoding")).toBe("gzip");
    expect(response.headers.get("content-length")).toBe(String(smallGzip.length));
    expect(Buffer.from(await response.arrayBuffer()).equals(smallGzip)).toBe(true);
    const record = script.records.at(-1)!;
    // Bun's fetch adds no Accept-Encoding of its own on the upstream side (decompress: false).
    expect(headerValues(record, "accept-encoding")).toEqual([]);
  });

  test("streams a large gzip body through byte-identical (Bun re-frames it chunked)", async () => {
    const response = await fetch(`${gateway.url}/gz/big`, {
      decompress: false, headers: { "accept-encoding": "gzip" },
    });
    expect(response.headers.get("content-encoding")).toBe("gzip");
    expect(Buffer.from(await response.arrayBuffer()).equals(bigGzip)).toBe(true);
    expect(headerValues(script.records.at(-1)!, "accept-encoding")).toEqual(["gzip"]);
  });

  test("streams the response: the first chunk arrives before the rest is sent", async () => {
    const started = Date.now();
    const response = await fetch(`${gateway.url}/stream`);
    const reader = response.body!.getReader();
    const first = await reader.read();
    const firstAt = Date.now() - started;
    let rest = "";
    for (let r = await reader.read(); !r.done; r = await reader.read()) {
      rest += new TextDecoder().decode(r.value);
    }
    expect(new TextDecoder().decode(first.value)).toBe("first");
    expect(firstAt).toBeLessThan(350);
    expect(rest).toBe("second");
  });

  test("decodes chunked bodies with extensions and drops trailers", async () => {
    const response = await sendRaw(gateway.port, "GET /trailers HTTP/1.1\r\nHost: gw.test\r\n\r\n",
      { readMs: 500 });
    expect(response.status).toBe(200);
    expect(response.text).not.toContain("X-Sum");
    expect(rawHeader(response, "trailer")).toBeUndefined();
    const body = rawHeader(response, "transfer-encoding") === "chunked"
      ? decodeChunked(response.body).body
      : response.body;
    expect(body).toBe("abc");
  });

  test("answers 502 for a response head over the size limit, sending none of it", async () => {
    const response = await sendRaw(gateway.port, "GET /bighead HTTP/1.1\r\nHost: gw.test\r\n\r\n",
      { untilComplete: true });
    expect(response.status).toBe(502);
    expect(rawHeader(response, "content-type")).toBe("application/problem+json");
    expect(response.text).not.toContain("aaaa");
  });

  test("skips interim 1xx responses and returns the final one", async () => {
    const response = await sendRaw(gateway.port, "GET /interim HTTP/1.1\r\nHost: gw.test\r\n\r\n",
      { untilComplete: true });
    expect(response.statuses).toEqual([200]);
    expect(response.body).toBe("after-hints");
  });

  test("answers 502 for bytes that are not HTTP and for an invalid status code", async () => {
    for (const path of ["/junk", "/weird"]) {
      const response = await fetch(`${gateway.url}${path}`);
      expect(response.status).toBe(502);
      const problem = (await response.json()) as { code: string };
      expect(problem.code).toBe("upstream.protocol");
    }
  });

  test("keeps Content-Length on HEAD and 304 responses, with no body", async () => {
    const head = await sendRaw(gateway.port, "HEAD /head HTTP/1.1\r\nHost: gw.test\r\n\r\n",
      { readMs: 400 });
    expect(head.status).toBe(200);
    expect(rawHeader(head, "content-length")).toBe("1234");
    expect(head.body).toBe("");
    const notModified = await sendRaw(gateway.port,
      "GET /not-modified HTTP/1.1\r\nHost: gw.test\r\n\r\n", { readMs: 400 });
    expect(notModified.status).toBe(304);
    expect(rawHeader(notModified, "etag")).toBe('"v1"');
    expect(notModified.body).toBe("");
  });

  test("relays a close-delimited body completely when the upstream closes cleanly", async () => {
    const response = await fetch(`${gateway.url}/close-delimited`);
    expect(response.status).toBe(200);
    expect(await response.text()).toBe("until-close");
  });

  test("forwards small and large request bodies with their exact bytes and length", async () => {
    for (const size of [10, 300_000]) {
      const body = crypto.getRandomValues(new Uint8Array(size));
      const response = await fetch(`${gateway.url}/echo/upload`, { method: "POST", body });
      expect(response.status).toBe(200);
      const record = echo.records.at(-1)!;
      expect(headerValues(record, "content-length")).toEqual([String(size)]);
      expect(record.chunked).toBe(false);
      expect(Buffer.from(record.body).equals(Buffer.from(body))).toBe(true);
    }
  });

  test("streams a chunked upload: the upstream sees the first part early", async () => {
    const socket = connect({ host: "127.0.0.1", port: gateway.port });
    await new Promise((resolve) => socket.once("connect", resolve));
    const before = echo.records.length;
    socket.write("POST /echo/chunks HTTP/1.1\r\nHost: gw.test\r\n" +
      "Transfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n");
    const deadline = Date.now() + 2_000;
    while (echo.records.length === before || echo.records.at(-1)!.firstBodyByteAt === null) {
      if (Date.now() > deadline) throw new Error("upstream saw no body byte");
      await Bun.sleep(10);
    }
    const record = echo.records.at(-1)!;
    expect(record.complete).toBe(false);
    socket.write("6\r\n world\r\n0\r\n\r\n");
    while (!record.complete && Date.now() < deadline) await Bun.sleep(10);
    socket.destroy();
    expect(Buffer.from(record.body).toString()).toBe("hello world");
    expect(record.chunked).toBe(true);
  });

  test("reuses one upstream connection for sequential requests", async () => {
    const before = echo.records.length;
    for (let i = 0; i < 5; i++) expect((await fetch(`${gateway.url}/echo/k${i}`)).status).toBe(200);
    const ids = new Set(echo.records.slice(before).map((r) => r.connectionId));
    expect(ids.size).toBe(1);
  });
});
