import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { createLocalJWKSet, decodeJwt, decodeProtectedHeader, jwtVerify } from "jose";
import { startGateway, type GatewayProcess } from "../support/gateway.ts";
import { generateTestKey, mint, testIssuer } from "../support/keys.ts";
import { startUpstream, type RecordingUpstream } from "../support/upstream.ts";
import { admin, consumerWithKey, secretsFound } from "./fixtures.ts";

const idpKey = generateTestKey("k1");
const otherKey = generateTestKey("o1");
let u1: RecordingUpstream;
let gw: GatewayProcess;
let aliceKey: string;
let aliceKeyId: string;
const secrets: Record<string, string> = {};
const exchange = "urn:ietf:params:oauth:grant-type:token-exchange";
const apiKeyType = "urn:portcullis:params:oauth:token-type:api-key";
const jwtType = "urn:ietf:params:oauth:token-type:jwt";

beforeAll(async () => {
  u1 = await startUpstream();
  gw = await startGateway({
    upstreams: { u1: { targets: [u1.url] } },
    identity: {
      issuers: [
        { id: "idp", issuer: testIssuer, audience: "gw-api", keys: [{ jwk: idpKey.publicJwk }] },
        {
          id: "other",
          issuer: "https://other.example.test",
          audience: "gw-api",
          keys: [{ jwk: otherKey.publicJwk }],
        },
      ],
      tokens: { endpoint: true, ttlSec: 120, exchangeIssuers: ["idp"] },
    },
    routes: [
      {
        id: "items",
        path: "/v1/items",
        upstream: "u1",
        auth: { jwt: ["gateway"] },
        access: { authenticated: true },
      },
      {
        id: "idp-only",
        path: "/v1/idp",
        upstream: "u1",
        auth: { jwt: ["idp"] },
        access: { authenticated: true },
      },
    ],
  });
  ({ key: aliceKey, keyId: aliceKeyId } = await consumerWithKey(gw, {
    id: "alice",
    tenant: "t1",
    roles: ["user"],
    scopes: ["orders:read", "orders:write"],
  }));
  secrets.aliceKey = aliceKey;
});

afterAll(async () => {
  await gw?.stop();
  u1?.stop();
});

async function token(params: Record<string, string>, headers: Record<string, string> = {}) {
  const response = await fetch(`${gw.url}/oauth/token`, {
    method: "POST",
    headers: { "content-type": "application/x-www-form-urlencoded", ...headers },
    body: new URLSearchParams(params),
  });
  const body = (await response.json()) as Record<string, string>;
  if (body.access_token) secrets[`t${Object.keys(secrets).length}`] = body.access_token;
  return { status: response.status, body, headers: response.headers };
}

const use = async (path: string, bearer: string) =>
  (await fetch(`${gw.url}${path}`, { headers: { authorization: `Bearer ${bearer}` } })).status;

async function verifyWithPublishedKeys(accessToken: string, audience = "portcullis") {
  const jwks = (await (await fetch(`${gw.url}/.well-known/jwks.json`)).json()) as {
    keys: object[];
  };
  return jwtVerify(accessToken, createLocalJWKSet(jwks as never), {
    issuer: "urn:portcullis:gateway",
    audience,
  });
}

describe("POST /oauth/token", () => {
  test("client_credentials with the API key as secret yields a short-lived JWT", async () => {
    const issued = await token({ grant_type: "client_credentials", client_secret: aliceKey });
    expect(issued.status).toBe(200);
    expect(issued.headers.get("cache-control")).toBe("no-store");
    expect(issued.body).toMatchObject({
      token_type: "Bearer",
      expires_in: 120,
      scope: "orders:read orders:write",
    });

    const { payload, protectedHeader } = await verifyWithPublishedKeys(issued.body.access_token!);
    expect(protectedHeader.alg).toBe("EdDSA");
    expect(payload).toMatchObject({ sub: "alice", tenant: "t1", roles: ["user"], cid: aliceKeyId });
    expect(payload.exp! - payload.iat!).toBe(120);
    expect(typeof payload.jti).toBe("string");

    expect(await use("/v1/items", issued.body.access_token!)).toBe(200);
    expect(u1.records.at(-1)!.headers.find(([n]) => n === "x-user-id")?.[1]).toBe("alice");
    expect(await use("/v1/idp", issued.body.access_token!)).toBe(401);
  });

  test("accepts HTTP Basic client authentication, and refuses two methods at once", async () => {
    const basic = `Basic ${Buffer.from(`alice:${aliceKey}`).toString("base64")}`;
    expect(
      (await token({ grant_type: "client_credentials" }, { authorization: basic })).status,
    ).toBe(200);
    const both = await token(
      { grant_type: "client_credentials", client_secret: aliceKey },
      { authorization: basic },
    );
    expect(both.status).toBe(400);
    expect(both.body.error).toBe("invalid_request");
  });

  test("scopes can only narrow what the key holds", async () => {
    const narrow = await token({
      grant_type: "client_credentials",
      client_secret: aliceKey,
      scope: "orders:read",
    });
    expect(narrow.body.scope).toBe("orders:read");
    expect(decodeJwt(narrow.body.access_token!).scope).toBe("orders:read");
    const wide = await token({
      grant_type: "client_credentials",
      client_secret: aliceKey,
      scope: "orders:read admin",
    });
    expect(wide.status).toBe(400);
    expect(wide.body.error).toBe("invalid_scope");
  });

  test("bad requests get RFC 6749 errors and every wrong key the same answer", async () => {
    const wrongA = await token({ grant_type: "client_credentials", client_secret: `${aliceKey}x` });
    const wrongB = await token({
      grant_type: "client_credentials",
      client_secret: "pk_live_nothing",
    });
    expect(wrongA.status).toBe(401);
    expect(wrongA.body.error).toBe("invalid_client");
    expect({ ...wrongA.body, requestId: "" }).toEqual({ ...wrongB.body, requestId: "" });
    expect(JSON.stringify(wrongA.body)).not.toContain(aliceKey.slice(0, 20));

    expect((await token({ grant_type: "password", client_secret: aliceKey })).body.error).toBe(
      "unsupported_grant_type",
    );
    const repeated = await fetch(`${gw.url}/oauth/token`, {
      method: "POST",
      headers: { "content-type": "application/x-www-form-urlencoded" },
      body: `grant_type=client_credentials&client_secret=${aliceKey}&client_secret=${aliceKey}`,
    });
    expect(repeated.status).toBe(400);
    const asJson = await fetch(`${gw.url}/oauth/token`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: "{}",
    });
    expect(asJson.status).toBe(400);
    expect((await fetch(`${gw.url}/oauth/token`)).status).toBe(405);
  });

  test("RFC 8693 exchange of an API key or a trusted issuer's token, with an actor", async () => {
    const fromKey = await token({
      grant_type: exchange,
      subject_token: aliceKey,
      subject_token_type: apiKeyType,
    });
    expect(fromKey.status).toBe(200);
    expect(fromKey.body.issued_token_type).toBe("urn:ietf:params:oauth:token-type:access_token");
    expect(decodeJwt(fromKey.body.access_token!)).toMatchObject({ sub: "alice", cid: aliceKeyId });

    const idpToken = mint(
      { sub: "olga", roles: ["operator"], tenant: "t7", scope: "reports:read" },
      {},
      idpKey,
    );
    secrets.idpToken = idpToken;
    const agent = await consumerWithKey(gw, { id: "agent-7", roles: ["agent"] });
    secrets.agentKey = agent.key;
    const fromJwt = await token({
      grant_type: exchange,
      subject_token: idpToken,
      subject_token_type: jwtType,
      actor_token: agent.key,
      actor_token_type: apiKeyType,
    });
    expect(fromJwt.status).toBe(200);
    const claims = decodeJwt(fromJwt.body.access_token!);
    expect(claims).toMatchObject({
      sub: "olga",
      tenant: "t7",
      roles: ["operator"],
      scope: "reports:read",
      act: { sub: "agent-7" },
    });
    expect(claims.cid).toBeUndefined();
    expect(await use("/v1/items", fromJwt.body.access_token!)).toBe(200);

    const untrusted = mint({ sub: "eve", iss: "https://other.example.test" }, {}, otherKey);
    const refused = await token({
      grant_type: exchange,
      subject_token: untrusted,
      subject_token_type: jwtType,
    });
    expect(refused.status).toBe(400);
    expect(refused.body.error).toBe("invalid_request");
  });

  test("revoking the API key stops every token minted from it", async () => {
    const extra = await admin(gw, "POST", "/identity/keys", { consumer: "alice" });
    secrets.extra = extra.body.key;
    const issued = await token({ grant_type: "client_credentials", client_secret: extra.body.key });
    expect(await use("/v1/items", issued.body.access_token!)).toBe(200);
    await admin(gw, "POST", `/identity/keys/${extra.body.keyId}/revoke`);
    expect(await use("/v1/items", issued.body.access_token!)).toBe(401);
    expect(
      (await token({ grant_type: "client_credentials", client_secret: aliceKey })).status,
    ).toBe(200);
  });

  test("a rotated signing key stays published and its tokens keep working", async () => {
    const before = await token({ grant_type: "client_credentials", client_secret: aliceKey });
    const oldKid = decodeProtectedHeader(before.body.access_token!).kid;
    const rotated = await admin(gw, "POST", "/identity/signing-keys/rotate");
    expect(rotated.status).toBe(201);
    const after = await token({ grant_type: "client_credentials", client_secret: aliceKey });
    expect(decodeProtectedHeader(after.body.access_token!).kid).toBe(rotated.body.kid);
    expect(rotated.body.kid).not.toBe(oldKid);

    const jwks = (await (await fetch(`${gw.url}/.well-known/jwks.json`)).json()) as {
      keys: Array<{ kid: string; d?: string }>;
    };
    expect(jwks.keys.map((k) => k.kid)).toEqual(
      expect.arrayContaining([oldKid!, rotated.body.kid]),
    );
    expect(jwks.keys.every((k) => k.d === undefined)).toBe(true);
    expect(await use("/v1/items", before.body.access_token!)).toBe(200);
    expect(await use("/v1/items", after.body.access_token!)).toBe(200);
  });

  test("no key or minted token reaches the data dir or logs", async () => {
    await gw.stop();
    expect(secretsFound(gw, secrets)).toEqual([]);
  });
});
