import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { startGateway, type GatewayProcess } from "../support/gateway.ts";
import { generateTestKey, mint, testIssuer } from "../support/keys.ts";
import { startUpstream, type RecordingUpstream } from "../support/upstream.ts";
import { admin } from "./fixtures.ts";

const k1 = generateTestKey("k1");
const k2 = generateTestKey("k2");
let u1: RecordingUpstream;
let gw: GatewayProcess;

const config = (key: typeof k1, consumers: object[], tokenEndpoint: boolean) => ({
  upstreams: { u1: { targets: [u1.url] } },
  identity: {
    consumers,
    issuers: [
      { id: "idp", issuer: testIssuer, audience: "gw-api", keys: [{ jwk: key.publicJwk }] },
    ],
    tokens: { endpoint: tokenEndpoint },
  },
  routes: [
    {
      id: "r",
      path: "/r",
      upstream: "u1",
      auth: { jwt: ["idp"], apiKey: true },
      access: { authenticated: true },
    },
  ],
});

beforeAll(async () => {
  u1 = await startUpstream();
  gw = await startGateway(config(k1, [{ id: "alice", roles: ["user"] }], false));
});

afterAll(async () => {
  await gw?.stop();
  u1?.stop();
});

const status = async (path: string, init: RequestInit = {}) =>
  (await fetch(`${gw.url}${path}`, init)).status;
const bearer = (token: string) => ({ headers: { authorization: `Bearer ${token}` } });

describe("identity settings on reload", () => {
  test("reload swaps issuer keys, adds consumers, turns on the token endpoint", async () => {
    const t1 = mint({ sub: "alice" }, {}, k1);
    const t2 = mint({ sub: "alice" }, {}, k2);
    expect(await status("/r", bearer(t1))).toBe(200);
    expect(await status("/r", bearer(t2))).toBe(401);
    expect(await status("/oauth/token", { method: "POST" })).toBe(404);
    expect((await admin(gw, "POST", "/identity/keys", { consumer: "bob" })).status).toBe(404);

    gw.writeConfig(
      config(
        k2,
        [
          { id: "alice", roles: ["user"] },
          { id: "bob", roles: ["user"] },
        ],
        true,
      ),
    );
    expect((await admin(gw, "POST", "/reload")).status).toBe(200);

    expect(await status("/r", bearer(t1))).toBe(401);
    expect(await status("/r", bearer(t2))).toBe(200);
    const bob = await admin(gw, "POST", "/identity/keys", { consumer: "bob" });
    expect(bob.status).toBe(201);
    expect(await status("/r", { headers: { "x-api-key": bob.body.key } })).toBe(200);
    const issued = await fetch(`${gw.url}/oauth/token`, {
      method: "POST",
      headers: { "content-type": "application/x-www-form-urlencoded" },
      body: new URLSearchParams({ grant_type: "client_credentials", client_secret: bob.body.key }),
    });
    expect(issued.status).toBe(200);
  });
});
