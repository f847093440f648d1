import { afterAll, beforeAll, expect, test } from "bun:test";
import type { GatewayProcess } from "../support/gateway.ts";
import { rawHeader, sendRaw } from "../support/raw-http.ts";
import { headerValues, startUpstream, type RecordingUpstream } from "../support/upstream.ts";
import { openRoute, startQuietGateway, testIdentity } from "../proxy/helpers.ts";

const ids = testIdentity();
let u1: RecordingUpstream;
let uHop: RecordingUpstream;
let gateway: GatewayProcess;

beforeAll(async () => {
  u1 = await startUpstream();
  uHop = await startUpstream({
    respond: () =>
      "HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nConnection: X-Internal-Debug\r\n" +
      "X-Internal-Debug: node=7\r\nKeep-Alive: timeout=1\r\nProxy-Authenticate: Basic realm=x\r\n" +
      "Content-Length: 2\r\n\r\nok",
  });
  const jwt = { auth: { jwt: ["idp"] }, access: { authenticated: true } };
  gateway = await startQuietGateway({
    identity: ids.identity,
    upstreams: { u1: { targets: [u1.url] }, hop: { targets: [uHop.url] } },
    routes: [
      openRoute("echo", "/echo", "u1", jwt),
      openRoute("echo-hop", "/echo-hop", "hop", jwt),
    ],
  });
});

afterAll(async () => {
  await gateway.stop();
  u1.stop();
  uHop.stop();
});

const hostileFields = (token: string) =>
  `Host: gw.test\r\nAuthorization: Bearer ${token}\r\n` +
  "Connection: keep-alive, X-Trace-Id, X-User-Id\r\nKeep-Alive: timeout=5\r\n" +
  "Proxy-Authorization: Basic dXNlcjpwYXNz\r\nProxy-Connection: keep-alive\r\n" +
  "TE: trailers, deflate\r\nUpgrade: h2c\r\nX-Trace-Id: t-123\r\n\r\n";

test("C026 strips hop-by-hop and nominated request fields but keeps X-User-Id", async () => {
  const response = await sendRaw(gateway.port,
    `GET /echo HTTP/1.1\r\n${hostileFields(ids.alice())}`, { untilComplete: true });
  expect(response.status).toBe(200);

  const record = u1.records.at(-1)!;
  for (const name of ["keep-alive", "proxy-authorization", "proxy-connection", "upgrade",
    "x-trace-id"]) {
    expect(headerValues(record, name)).toEqual([]);
  }
  const connection = headerValues(record, "connection").join(",").toLowerCase();
  expect(connection).not.toContain("x-trace-id");
  expect(connection).not.toContain("x-user-id");
  const te = headerValues(record, "te");
  expect(te.length === 0 || (te.length === 1 && te[0] === "trailers")).toBe(true);
  // A client cannot use Connection to remove a header the gateway adds.
  expect(headerValues(record, "x-user-id")).toEqual(["alice"]);
});

test("C026 strips hop-by-hop and Connection-nominated response fields", async () => {
  const response = await sendRaw(gateway.port,
    `GET /echo-hop HTTP/1.1\r\n${hostileFields(ids.alice())}`, { untilComplete: true });
  expect(response.status).toBe(200);
  expect(response.body).toBe("ok");
  for (const name of ["x-internal-debug", "keep-alive", "proxy-authenticate"]) {
    expect(rawHeader(response, name)).toBeUndefined();
  }
  expect(rawHeader(response, "connection") ?? "").not.toContain("X-Internal-Debug");
});
