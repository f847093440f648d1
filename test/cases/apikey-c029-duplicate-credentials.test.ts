import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import type { GatewayProcess } from "../support/gateway.ts";
import { generateTestKey, mint } from "../support/keys.ts";
import { sendRaw } from "../support/raw-http.ts";
import type { RecordingUpstream } from "../support/upstream.ts";
import { consumerWithKey } from "../identity/fixtures.ts";
import { getRoute, startCaseGateway, staticIssuer } from "./jwt-case-support.ts";

const k1 = generateTestKey("k1");
let u1: RecordingUpstream;
let gw: GatewayProcess;
let akAlice: string;
let akAdmin: string;

beforeAll(async () => {
  const auth = { jwt: ["idp"], apiKey: { header: "X-API-Key" } };
  ({ u1, gw } = await startCaseGateway({
    identity: { issuers: [staticIssuer(k1)] },
    routes: [getRoute("ord2", "/v1/orders", auth, { roles: ["user", "admin"] })],
  }));
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
