import { afterAll, beforeAll, expect, test } from "bun:test";
import type { GatewayProcess } from "../support/gateway.ts";
import { rawHeader, sendRaw } from "../support/raw-http.ts";
import { startUpstream, type RecordingUpstream } from "../support/upstream.ts";
import { openRoute, rawResponse, startQuietGateway } from "../proxy/helpers.ts";

let u1: RecordingUpstream;
let uInternal: RecordingUpstream;
let uRedirect: RecordingUpstream;
let gateway: GatewayProcess;
let secret: string;

const answers: Record<string, () => [string, string]> = {
  "GET /go/a": () => ["302 Found", secret],
  "POST /go/b": () => ["307 Temporary Redirect", secret],
  "GET /go/c": () => ["301 Moved Permanently", "/public/moved"],
  "POST /go/d": () => ["303 See Other", "/public/done"],
};

beforeAll(async () => {
  u1 = await startUpstream();
  uInternal = await startUpstream();
  secret = `${uInternal.url}/secret`;
  uRedirect = await startUpstream({
    respond(record) {
      const [status, location] = answers[`${record.method} ${record.target}`]!();
      return rawResponse(status, [`Location: ${location}`], `moved:${record.target}`);
    },
  });
  gateway = await startQuietGateway({
    upstreams: { u1: { targets: [u1.url] }, redir: { targets: [uRedirect.url] } },
    routes: [openRoute("go", "/go/*", "redir"), openRoute("pub", "/public/*", "u1")],
  });
});

afterAll(async () => {
  await gateway.stop();
  u1.stop();
  uInternal.stop();
  uRedirect.stop();
});

test("C043 returns upstream redirects to the client instead of following them", async () => {
  const expected = [
    ["GET", "/go/a", 302, secret],
    ["POST", "/go/b", 307, secret],
    ["GET", "/go/c", 301, "/public/moved"],
    ["POST", "/go/d", 303, "/public/done"],
  ] as const;
  for (const [method, path, status, location] of expected) {
    const body = method === "POST" ? "Content-Length: 4\r\n\r\nbody" : "\r\n";
    const response = await sendRaw(gateway.port,
      `${method} ${path} HTTP/1.1\r\nHost: gw.test\r\n${body}`, { untilComplete: true });
    expect(response.status).toBe(status);
    expect(rawHeader(response, "location")).toBe(location);
    expect(response.body).toBe(`moved:${path}`);
  }
  expect(uRedirect.records.map((r) => `${r.method} ${r.target}`)).toEqual(Object.keys(answers));
  expect(uInternal.records.length).toBe(0);
  expect(u1.records.length).toBe(0);
});
