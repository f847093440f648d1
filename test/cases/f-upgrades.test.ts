import { afterAll, beforeAll, expect, test } from "bun:test";
import { connect } from "node:net";
import type { GatewayProcess } from "../support/gateway.ts";
import { parseRaw, sendRaw } from "../support/raw-http.ts";
import { headerValues, startUpstream, type RecordingUpstream } from "../support/upstream.ts";
import { openRoute, startQuietGateway, testIdentity, waitUntil } from "../proxy/helpers.ts";

// WebSocket is not supported yet: every handshake is refused with 400
// `request.upgrade_unsupported` (after authentication), never switched to 101 (README
// Limitations). Steps 2 and 3 of C039 (a working WebSocket relay) wait for that feature.

const ids = testIdentity();
let u1: RecordingUpstream;
let uWs: RecordingUpstream;
let uNoUp: RecordingUpstream;
let gateway: GatewayProcess;

beforeAll(async () => {
  u1 = await startUpstream();
  uWs = await startUpstream();
  uNoUp = await startUpstream({
    respond: () => "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nno",
  });
  const user = { auth: { jwt: ["idp"] }, access: { roles: ["user"] } };
  gateway = await startQuietGateway({
    identity: ids.identity,
    upstreams: { u1: { targets: [u1.url] }, ws: { targets: [uWs.url] },
      noup: { targets: [uNoUp.url] } },
    routes: [
      openRoute("ws", "/ws", "ws", { methods: ["GET"], ...user }),
      openRoute("ws-noup", "/ws-noup", "noup", { methods: ["GET"], ...user }),
      openRoute("pub", "/public/*", "u1"),
      openRoute("adm", "/admin/*", "u1", { auth: { jwt: ["idp"] }, access: { roles: ["admin"] } }),
    ],
  });
});

afterAll(async () => {
  await gateway.stop();
  u1.stop();
  uWs.stop();
  uNoUp.stop();
});

const handshake = (path: string, extra = "") =>
  `GET ${path} HTTP/1.1\r\nHost: gw.test\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n` +
  `Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n${extra}\r\n`;
const bearer = () => `Authorization: Bearer ${ids.alice()}\r\n`;

test("C039 answers an unauthenticated handshake 401, never 101", async () => {
  const response = await sendRaw(gateway.port, handshake("/ws"), { untilComplete: true });
  expect(response.status).toBe(401);
  expect(response.statuses).not.toContain(101);
  expect(uWs.records.length).toBe(0);
});

test("C039 refuses an authenticated handshake with 400 (WebSocket unsupported)", async () => {
  const nominating = `${bearer()}Connection: Upgrade, X-User-Id\r\nX-User-Id: ada\r\n`;
  for (const extra of [bearer(), nominating]) {
    const response = await sendRaw(gateway.port, handshake("/ws", extra), { untilComplete: true });
    expect(response.status).toBe(400);
    expect(JSON.parse(response.body).code).toBe("request.upgrade_unsupported");
    expect(response.statuses).not.toContain(101);
  }
  expect(uWs.records.length).toBe(0);
});

test("C039 serves an h2c upgrade request as plain HTTP/1.1 without upgrade fields", async () => {
  const response = await sendRaw(gateway.port,
    "GET /public/x HTTP/1.1\r\nHost: gw.test\r\nConnection: Upgrade, HTTP2-Settings\r\n" +
    "Upgrade: h2c\r\nHTTP2-Settings: AAMAAABkAAQAAP__\r\n\r\n", { untilComplete: true });
  expect(response.statuses).toEqual([200]);
  const record = u1.records.at(-1)!;
  expect(headerValues(record, "upgrade")).toEqual([]);
  expect(headerValues(record, "http2-settings")).toEqual([]);
  expect(headerValues(record, "connection").join(",").toLowerCase()).not.toContain("upgrade");
});

test("C039 never switches protocols on a route without WebSocket", async () => {
  const before = u1.records.length;
  const response = await sendRaw(gateway.port, handshake("/public/x"), { untilComplete: true });
  expect([400, 403, 426]).toContain(response.status);
  expect(response.statuses).not.toContain(101);
  expect(u1.records.length).toBe(before);
});

test("C039 authenticates an upgrade-flavoured POST like any other request", async () => {
  const response = await sendRaw(gateway.port,
    "POST /admin/x HTTP/1.1\r\nHost: gw.test\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n" +
    "Content-Length: 0\r\n\r\n", { untilComplete: true });
  expect(response.status).toBe(401);
});

test("C039 keeps parsing HTTP after a refused handshake: no stray tunnel", async () => {
  const before = u1.records.length;
  const socket = connect({ host: "127.0.0.1", port: gateway.port });
  socket.on("error", () => {});
  let text = "";
  socket.on("data", (chunk: Buffer) => (text += chunk.toString("latin1")));
  socket.write(handshake("/ws-noup", bearer()));
  await waitUntil(() => parseRaw(text, false).status !== 0);
  const first = parseRaw(text, false);
  expect(first.statuses).not.toContain(101);
  expect(first.status).toBe(400);

  text = "";
  socket.write("GET /admin/x HTTP/1.1\r\nHost: gw.test\r\n\r\n");
  await waitUntil(() => parseRaw(text, false).status !== 0);
  socket.destroy();
  expect(parseRaw(text, false).status).toBe(401);
  expect(uNoUp.records.length).toBe(0);
  expect(u1.records.length).toBe(before);
});
