import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { startGateway, type GatewayProcess } from "../support/gateway.ts";
import { startUpstream, type RecordingUpstream } from "../support/upstream.ts";
import { consumerWithKey, secretsFound } from "../identity/fixtures.ts";

let u1: RecordingUpstream;
let gw: GatewayProcess;
let alice: string;
let bob: string;

beforeAll(async () => {
  u1 = await startUpstream();
  const dead = Bun.listen({ hostname: "127.0.0.1", port: 0, socket: { data() {} } });
  const deadPort = dead.port;
  dead.stop(true);
  const legacyAuth = { apiKey: { header: "X-API-Key", queryParam: "apikey" } };
  gw = await startGateway({
    upstreams: { u1: { targets: [u1.url] }, dead: { targets: [`http://127.0.0.1:${deadPort}`] } },
    routes: [
      {
        id: "items",
        path: "/v1/items",
        methods: ["GET"],
        upstream: "u1",
        auth: { apiKey: { header: "X-API-Key" } },
        access: { authenticated: true },
      },
      {
        id: "legacy",
        path: "/legacy/*",
        methods: ["GET"],
        upstream: "u1",
        auth: legacyAuth,
        access: { authenticated: true },
      },
      {
        id: "legdead",
        path: "/legacy-dead/*",
        methods: ["GET"],
        upstream: "dead",
        auth: legacyAuth,
        access: { authenticated: true },
      },
    ],
  });
  alice = (await consumerWithKey(gw, { id: "alice", roles: ["user"] })).key;
  bob = (await consumerWithKey(gw, { id: "bob", roles: ["user"] })).key;
});

afterAll(async () => {
  await gw?.stop();
  u1?.stop();
});

const get = async (target: string, headers: Record<string, string> = {}) =>
  (await fetch(`${gw.url}${target}`, { headers })).status;

describe("C019 key in the query string", () => {
  test("C019 refuses query keys by default, strips them where allowed, never logs", async () => {
    expect(await get(`/v1/items?apikey=${alice}&q=1`)).toBe(401);
    expect(u1.records.length).toBe(0);

    expect(await get(`/legacy/items?apikey=${alice}&q=1`)).toBe(200);
    expect(u1.records.length).toBe(1);
    const forwarded = u1.records[0]!;
    expect(forwarded.target).toBe("/legacy/items?q=1");
    expect(
      forwarded.headers.some(([n]) => ["x-api-key", "authorization"].includes(n.toLowerCase())),
    ).toBe(false);

    expect(await get(`/legacy/items?q=1&APIKEY=${alice}`)).toBe(401);
    expect([400, 401]).toContain(await get(`/legacy/items?apikey=${alice}&apikey=${bob}`));
    expect(u1.records.length).toBe(1);

    expect(await get(`/legacy-dead/items?apikey=${alice}`)).toBe(502);

    expect(await get("/v1/items", { "x-api-key": alice })).toBe(200);
    expect(u1.records.at(-1)!.headers.some(([n]) => n.toLowerCase() === "x-api-key")).toBe(false);

    await gw.stop();
    expect(secretsFound(gw, { alice, bob })).toEqual([]);
    const accessLines = gw
      .logText()
      .split("\n")
      .filter((l) => l.includes('"access"') && l.includes("legacy"));
    expect(accessLines.length).toBeGreaterThan(0);
    for (const line of accessLines) expect(line).not.toMatch(/apikey=(?!\[?REDACTED)[^&"]/);
  });
});
