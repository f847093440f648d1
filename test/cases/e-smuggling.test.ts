import { afterAll, beforeAll, expect, test } from "bun:test";
import type { GatewayProcess } from "../support/gateway.ts";
import { sendRaw, type RawResponse } from "../support/raw-http.ts";
import { headerValues, startUpstream, type RecordingUpstream } from "../support/upstream.ts";
import { openRoute, startQuietGateway } from "../proxy/helpers.ts";

let u1: RecordingUpstream;
let gateway: GatewayProcess;

beforeAll(async () => {
  u1 = await startUpstream();
  gateway = await startQuietGateway({
    upstreams: { u1: { targets: [u1.url] } },
    routes: [openRoute("pub", "/public/*", "u1")],
  });
});

afterAll(async () => {
  await gateway.stop();
  u1.stop();
});

const post = "POST /public/echo HTTP/1.1\r\nHost: gw.test\r\n";
const smuggled = "GET /admin/secret HTTP/1.1\r\nHost: gw.test\r\n";

const mustRefuse: Record<string, string> = {
  "CL + TE": `${post}Content-Length: 50\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n` +
    `${smuggled}\r\n`,
  "TE + CL": `${post}Transfer-Encoding: chunked\r\nContent-Length: 4\r\n\r\n45\r\n${smuggled}` +
    "Content-Length: 5\r\n\r\nx=1\r\n\r\n0\r\n\r\n",
  "two different lengths": `${post}Content-Length: 0\r\nContent-Length: 45\r\n\r\n${smuggled}\r\n`,
};
for (const value of ["+5", "-1", "5a", "", "99999999999999999999", "0x5"]) {
  mustRefuse[`Content-Length "${value}"`] = `${post}Content-Length: ${value}\r\n\r\nhello`;
}

/** Each raw request on its own connection, all at once, reading for up to 2 s. */
async function sendAll(requests: Record<string, string>): Promise<Record<string, RawResponse>> {
  const names = Object.keys(requests);
  const answers = await Promise.all(names.map((n) => sendRaw(gateway.port, requests[n]!)));
  return Object.fromEntries(names.map((n, i) => [n, answers[i]!]));
}

test("C030 refuses conflicting or malformed framing with 400 and closes", async () => {
  const answers = await sendAll(mustRefuse);
  for (const [name, response] of Object.entries(answers)) {
    expect({ name, status: response.status, closed: response.closed })
      .toEqual({ name, status: 400, closed: true });
  }
  expect(u1.records.some((r) => r.target === "/admin/secret")).toBe(false);
});

test("C030 forwards two identical lengths as one, or refuses them", async () => {
  const before = u1.records.length;
  const response = await sendRaw(gateway.port,
    `${post}Content-Length: 5\r\nContent-Length: 5\r\n\r\nhello`, { untilComplete: true });
  expect([200, 400]).toContain(response.status);
  if (response.status === 200) {
    const record = u1.records[before]!;
    expect(headerValues(record, "content-length")).toEqual(["5"]);
    expect(Buffer.from(record.body).toString()).toBe("hello");
  }
  expect(u1.records.some((r) => r.target === "/admin/secret")).toBe(false);
});

test("C030 forwards a chunked DELETE body consistently framed, nothing smuggled", async () => {
  const before = u1.records.length;
  const response = await sendRaw(gateway.port,
    "DELETE /public/items/1 HTTP/1.1\r\nHost: gw.test\r\nTransfer-Encoding: chunked\r\n\r\n" +
    `2d\r\n${smuggled}\r\n\r\n0\r\n\r\n`, { untilComplete: true });
  expect([200, 400]).toContain(response.status);
  if (response.status === 200) {
    const deletes = u1.records.slice(before);
    expect(deletes.map((r) => r.method)).toEqual(["DELETE"]);
    const record = deletes[0]!;
    expect(record.body.length).toBe(45);
    const lengths = headerValues(record, "content-length");
    expect(record.chunked || lengths[0] === "45").toBe(true);
  }
  expect(u1.records.some((r) => r.target === "/admin/secret")).toBe(false);
});
