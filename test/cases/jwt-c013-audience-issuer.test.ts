import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import type { GatewayProcess } from "../support/gateway.ts";
import {
  generateTestKey,
  mint,
  startJwksServer,
  testIssuer,
  type JwksServer,
} from "../support/keys.ts";
import type { RecordingUpstream } from "../support/upstream.ts";
import { call } from "../identity/fixtures.ts";
import { getRoute, jwksIssuer, startCaseGateway } from "./jwt-case-support.ts";

const k1 = generateTestKey("k1");
const k2 = generateTestKey("k2");
const idp2 = "https://idp2.example.test";
let jwks1: JwksServer;
let jwks2: JwksServer;
let u1: RecordingUpstream;
let gw: GatewayProcess;

beforeAll(async () => {
  jwks1 = startJwksServer([k1]);
  jwks2 = startJwksServer([k2]);
  const issuers = [jwksIssuer("idp", jwks1.url), jwksIssuer("idp2", jwks2.url, { issuer: idp2 })];
  ({ u1, gw } = await startCaseGateway({
    identity: { issuers },
    routes: [getRoute("ord", "/v1/orders", { jwt: ["idp", "idp2"] }, { roles: ["user", "admin"] })],
  }));
});

afterAll(async () => {
  await gw?.stop();
  u1?.stop();
  jwks1?.stop();
  jwks2?.stop();
});

describe("C013 audience and issuer", () => {
  test("C013 matches aud and iss exactly and keeps each issuer to its own keys", async () => {
    const cases: Array<
      [string, Record<string, unknown>, Record<string, unknown>, typeof k1, number]
    > = [
      ["1 other audience", { aud: "billing-api" }, {}, k1, 401],
      ["2 no aud", { aud: undefined }, {}, k1, 401],
      ["3 aud list containing ours", { aud: ["billing-api", "gw-api"] }, {}, k1, 200],
      ["4a trailing space", { aud: "gw-api " }, {}, k1, 401],
      ["4b upper case", { aud: "GW-API" }, {}, k1, 401],
      ["5 evil issuer", { iss: "https://evil.example.test" }, {}, k1, 401],
      ["6 trailing slash", { iss: `${testIssuer}/` }, {}, k1, 401],
      ["7 no iss", { iss: undefined }, {}, k1, 401],
      ["8 idp2 claimed, signed by idp's k1", { iss: idp2 }, { kid: "k1" }, k1, 401],
      ["9 idp2 token signed by k2", { iss: idp2 }, { kid: "k2" }, k2, 200],
    ];
    for (const [name, claims, header, key, status] of cases) {
      const token = mint({ sub: "alice", roles: ["admin"], ...claims }, header, key);
      const answer = await call(gw, "/v1/orders", { authorization: `Bearer ${token}` });
      expect(`${name}: ${answer.status}`).toBe(`${name}: ${status}`);
    }
    expect(u1.records.length).toBe(2);
  });
});
