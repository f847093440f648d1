import { afterAll, beforeAll, expect, test } from "bun:test";
import { startGateway, type GatewayProcess } from "../support/gateway.ts";
import { rawHeader, sendRaw } from "../support/raw-http.ts";
import { headerValues, startUpstream, type RecordingUpstream } from "../support/upstream.ts";
import { openRoute, testIdentity, waitUntil } from "../proxy/helpers.ts";

const ids = testIdentity();
let u1: RecordingUpstream;
let gateway: GatewayProcess;
let trusting: GatewayProcess;

beforeAll(async () => {
  u1 = await startUpstream();
  const config = {
    identity: ids.identity,
    upstreams: { u1: { targets: [u1.url] } },
    routes: [
      openRoute("pub", "/public/*", "u1"),
      openRoute("adm", "/admin/*", "u1", { auth: { jwt: ["idp"] }, access: { roles: ["admin"] } }),
    ],
  };
  gateway = await startGateway(config);
  trusting = await startGateway({ ...config, trustedProxies: ["127.0.0.1/32"] });
});

afterAll(async () => {
  await gateway.stop();
  await trusting.stop();
  u1.stop();
});

const spoofed =
  "X-Forwarded-For: 10.0.0.1\r\nX-Forwarded-Host: evil.example.test\r\n" +
  "X-Forwarded-Proto: https\r\nX-Forwarded-Port: 443\r\n" +
  "Forwarded: for=10.0.0.1;host=evil.example.test;proto=https\r\nX-Real-IP: 10.0.0.1\r\n" +
  "X-Original-URL: /admin/users\r\nX-Rewrite-URL: /admin/users\r\n" +
  "X-Portcullis-Original-Path: /public\r\nTrue-Client-IP: 10.0.0.1\r\n";

test("C027 replaces client forwarding headers and drops internal ones", async () => {
  const response = await sendRaw(gateway.port,
    `GET /public/page HTTP/1.1\r\nHost: gw.test\r\n${spoofed}\r\n`, { untilComplete: true });
  expect(response.status).toBe(200);

  const record = u1.records.at(-1)!;
  expect(record.target).toBe("/public/page");
  expect(headerValues(record, "x-forwarded-for")).toEqual(["127.0.0.1"]);
  expect(headerValues(record, "x-forwarded-host")).toEqual(["gw.test"]);
  expect(headerValues(record, "x-forwarded-proto")).toEqual(["http"]);
  for (const name of ["forwarded", "x-real-ip", "x-original-url", "x-rewrite-url",
    "x-portcullis-original-path", "x-forwarded-port", "true-client-ip"]) {
    expect(headerValues(record, name)).toEqual([]);
  }

  const requestId = rawHeader(response, "x-request-id")!;
  await waitUntil(() => gateway.logText().includes(requestId));
  const access = gateway.logText().split("\n").filter((line) => line.includes(requestId))
    .map((line) => JSON.parse(line) as Record<string, unknown>);
  expect(access.some((entry) => entry.path === "/public/page")).toBe(true);
  expect(JSON.stringify(access)).not.toContain("/admin/users");
});

test("C027 authorises on the real request-target, not X-Original-URL", async () => {
  const before = u1.records.length;
  const response = await sendRaw(gateway.port,
    "GET /admin/users HTTP/1.1\r\nHost: gw.test\r\nX-Original-URL: /public/page\r\n\r\n",
    { untilComplete: true });
  expect(response.status).toBe(401);
  expect(u1.records.length).toBe(before);
});

test("keeps a trusted proxy's chain from the client it names onwards", async () => {
  const response = await sendRaw(trusting.port,
    "GET /public/chain HTTP/1.1\r\nHost: gw.test\r\n" +
    "X-Forwarded-For: 6.6.6.6, 203.0.113.7\r\nX-Forwarded-Proto: https\r\n" +
    "X-Forwarded-Host: api.example.test\r\nX-Real-IP: 6.6.6.6\r\n\r\n", { untilComplete: true });
  expect(response.status).toBe(200);
  const record = u1.records.at(-1)!;
  // 6.6.6.6 is left of the first untrusted hop: nobody vouches for it.
  expect(headerValues(record, "x-forwarded-for")).toEqual(["203.0.113.7, 127.0.0.1"]);
  expect(headerValues(record, "x-forwarded-proto")).toEqual(["https"]);
  expect(headerValues(record, "x-forwarded-host")).toEqual(["api.example.test"]);
  expect(headerValues(record, "x-real-ip")).toEqual([]);
});

test("propagates a well-formed X-Request-Id to the upstream and echoes it", async () => {
  const response = await sendRaw(gateway.port,
    "GET /public/id HTTP/1.1\r\nHost: gw.test\r\nX-Request-Id: trace-0042\r\n\r\n",
    { untilComplete: true });
  expect(rawHeader(response, "x-request-id")).toBe("trace-0042");
  expect(headerValues(u1.records.at(-1)!, "x-request-id")).toEqual(["trace-0042"]);
});
