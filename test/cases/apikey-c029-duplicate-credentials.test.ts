import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { startGateway, type GatewayProcess } from "../support/gateway.ts";
import { generateTestKey, mint, testIssuer } from "../support/keys.ts";
import { sendRaw } from "../support/raw-http.ts";
import { startUpstream, type RecordingUpstream } from "../support/upstream.ts";
import { consumerWithKey } from "../identity/fixtures.ts";

const k1 = generateTestKey("k1");
let u1: RecordingUpstream;
let gw: GatewayProcess;
let akAlice: string;
let akAdmin: string;

beforeAll(async () => {
  u1 = await startUpstream();
  gw = await startGateway({
    upstreams: { u1: { targets: [u1.url] } },
    identity: {
      issuers: [
        { id: "idp", issuer: testIssuer, audience: "gw-api", keys: [{ jwk: k1.publicJwk }] },
      ],
    },
    routes: [
      {
        id: "ord2",
        path: "/v1/orders",
        methods: ["GET"],
        upstream: "u1",
        auth: { jwt: ["idp"], apiKey: { header: "X-API-Key" } },
        access: { roles: ["user", "admin"] },
      },
    ],
  });
  akAlice = (await consumerWithKey(gw, { id: "alice", roles: ["user"] })).key;
  akAdmin = (await consumerWithKey(gw, { id: "ada", roles: ["admin"] })).key;
});

afterAll(async () => {
  await gw?.stop();
  u1?.stop();
});

async function raw(lines: string[]) {
  const head = ["GET /v1/orders HTTP/1.1", "Host: gw.test", ...lines, "Connection: close", "", ""];
  return (await sendRaw(gw.port, head.join("\r\n"))).status;
}

describe("C029 duplicate or combined credentials", () => {
  test("C029 refuses several principals and never picks or merges one", async () => {
    const alice = mint({ sub: "alice", roles: ["user"], tenant: "t1" }, {}, k1);
    const admin = mint({ sub: "ada", roles: ["admin"] }, {}, k1);
    const refused = [
      [`Authorization: Bearer ${alice}`, `Authorization: Bearer ${admin}`],
      [`Authorization: Bearer ${alice}, Bearer ${admin}`],
      [`Authorization: Bearer ${alice}`, `X-API-Key: ${akAdmin}`],
      [`X-API-Key: ${akAlice}`, "X-API-Key: garbage"],
      ["X-API-Key: garbage", `X-API-Key: ${akAlice}`],
      [`X-API-Key: ${akAlice}, ${akAdmin}`],
      [`Authorization: Bearer ${akAlice}`, `X-API-Key: ${akAlice}`],
    ];
    for (const lines of refused) expect([400, 401]).toContain(await raw(lines));
    expect(u1.records.length).toBe(0);

    const same = await raw([`Authorization: Bearer ${alice}`, `Authorization: Bearer ${alice}`]);
    expect([200, 400]).toContain(same);
    if (same === 200)
      expect(u1.records[0]!.headers.find(([n]) => n === "x-user-id")?.[1]).toBe("alice");

    expect(await raw([`Authorization: Bearer ${akAlice}`])).toBe(200);
    expect(await raw([`X-API-Key: ${akAdmin}`])).toBe(200);
  });
});
