import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import type { GatewayProcess } from "../support/gateway.ts";
import {
  generateTestKey,
  mint,
  startJwksServer,
  testIssuer,
  type JwksServer,
} from "../support/keys.ts";
import { headerValues, type RecordingUpstream } from "../support/upstream.ts";
import { call, secretsFound, signatureOf } from "../identity/fixtures.ts";
import { getRoute, jwksIssuer, startCaseGateway } from "./jwt-case-support.ts";

const k1 = generateTestKey("k1");
let jwks: JwksServer;
let u1: RecordingUpstream;
let gw: GatewayProcess;

beforeAll(async () => {
  jwks = startJwksServer([k1]);
  ({ u1, gw } = await startCaseGateway({
    identity: { issuers: [jwksIssuer("idp", jwks.url)] },
    routes: [getRoute("ord", "/v1/orders", { jwt: ["idp"] }, { roles: ["user", "admin"] })],
  }));
});

afterAll(async () => {
  await gw?.stop();
  u1?.stop();
  jwks?.stop();
});

const b64 = (v: unknown) => Buffer.from(JSON.stringify(v)).toString("base64url");

describe("C010 alg none, empty signatures and malformed bearer values", () => {
  test("C010 answers 401 with a challenge to every bad form; only controls pass", async () => {
    const now = Math.floor(Date.now() / 1000);
    const claims = b64({
      iss: testIssuer,
      aud: "gw-api",
      sub: "alice",
      roles: ["admin"],
      iat: now,
      exp: now + 300,
    });
    const alice = mint({ sub: "alice", roles: ["user"], tenant: "t1" }, {}, k1);
    const guest = mint({ sub: "gus", roles: ["guest"] }, {}, k1);
    const bad = [
      `Bearer ${b64({ alg: "none", typ: "JWT" })}.${claims}.`,
      ...["None", "NONE", "nOnE"].map((alg) => `Bearer ${b64({ alg, typ: "JWT" })}.${claims}.`),
      `Bearer ${b64({ alg: "none", typ: "JWT" })}.${claims}.AAAA`,
      `Bearer ${b64({ alg: "RS256", kid: "k1" })}.${claims}.`,
      `Bearer ${b64({ alg: "RS256", kid: "k1" })}.${claims}`,
      "Bearer ",
      "Bearer",
      `Basic ${alice}`,
    ];
    for (const authorization of bad) {
      const answer = await call(gw, "/v1/orders", { authorization });
      expect(`${authorization.slice(0, 30)} ${answer.status}`).toBe(
        `${authorization.slice(0, 30)} 401`,
      );
      expect(answer.headers.get("www-authenticate")).toStartWith("Bearer");
    }
    expect((await call(gw, "/v1/orders", { authorization: `Bearer ${guest}` })).status).toBe(403);
    expect(u1.records.length).toBe(0);

    expect((await call(gw, "/v1/orders", { authorization: `Bearer ${alice}` })).status).toBe(200);
    expect((await call(gw, "/v1/orders", { authorization: `bearer ${alice}` })).status).toBe(200);
    expect(u1.records.length).toBe(2);
    for (const record of u1.records) {
      expect(headerValues(record, "x-user-id")).toEqual(["alice"]);
      expect(headerValues(record, "authorization")).toEqual([]);
    }
    expect(secretsFound(gw, { alice, guest, aliceSig: signatureOf(alice) })).toEqual([]);
  });
});
