import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { createLocalJWKSet, jwtVerify } from "jose";
import { startGateway, type GatewayProcess } from "../support/gateway.ts";
import { startUpstream, type RecordingUpstream, type UpstreamRecord } from "../support/upstream.ts";
import { consumerWithKey } from "./fixtures.ts";

let u1: RecordingUpstream;
let gw: GatewayProcess;
let key: string;

beforeAll(async () => {
  u1 = await startUpstream();
  const route = (id: string, path: string, auth: Record<string, unknown>) => ({
    id,
    path,
    upstream: "u1",
    auth: { apiKey: true, ...auth },
    access: { authenticated: true },
  });
  gw = await startGateway({
    upstreams: { u1: { targets: [u1.url] } },
    routes: [
      route("plain", "/plain", {}),
      route("minted", "/minted", { upstreamToken: { audience: "billing-svc", ttlSec: 60 } }),
      route("custom", "/custom", {
        identityHeaders: { subject: "X-Consumer", roles: null, scopes: "X-Scopes" },
        upstreamToken: { audience: "reports-svc", header: "X-Caller-Token" },
      }),
      route("forward", "/forward", { forwardCredentials: true }),
    ],
  });
  ({ key } = await consumerWithKey(gw, {
    id: "alice",
    tenant: "t1",
    roles: ["user"],
    scopes: ["a", "b"],
  }));
});

afterAll(async () => {
  await gw?.stop();
  u1?.stop();
});

async function through(path: string, headers: Record<string, string>): Promise<UpstreamRecord> {
  const before = u1.records.length;
  const response = await fetch(`${gw.url}${path}`, { headers });
  expect(response.status).toBe(200);
  expect(u1.records.length).toBe(before + 1);
  return u1.records.at(-1)!;
}

const values = (record: UpstreamRecord, name: string) =>
  record.headers.filter(([n]) => n.toLowerCase() === name).map(([, v]) => v);

async function verifyForAudience(token: string, audience: string) {
  const jwks = (await (await fetch(`${gw.url}/.well-known/jwks.json`)).json()) as never;
  return (
    await jwtVerify(token, createLocalJWKSet(jwks), { audience, issuer: "urn:portcullis:gateway" })
  ).payload;
}

describe("identity to upstreams", () => {
  test("the upstream never receives the caller's key, from either header", async () => {
    const variants: Record<string, string>[] = [
      { "x-api-key": key },
      { authorization: `Bearer ${key}` },
    ];
    for (const headers of variants) {
      const record = await through("/plain", headers);
      expect(record.rawHead.includes(key)).toBe(false);
      expect(values(record, "x-user-id")).toEqual(["alice"]);
      expect(values(record, "x-tenant-id")).toEqual(["t1"]);
    }
  });

  test("an audience-bound minted token describes the caller and verifies", async () => {
    const record = await through("/minted", { "x-api-key": key });
    expect(record.rawHead.includes(key)).toBe(false);
    const [authorization] = values(record, "authorization");
    expect(authorization).toStartWith("Bearer ");
    const claims = await verifyForAudience(authorization!.slice(7), "billing-svc");
    expect(claims).toMatchObject({ sub: "alice", tenant: "t1", roles: ["user"], scope: "a b" });
    expect(claims.exp! - claims.iat!).toBe(60);
    // The token is for the backend only: the gateway itself refuses it on its routes.
    const reused = await fetch(`${gw.url}/plain`, { headers: { authorization: authorization! } });
    expect(reused.status).toBe(401);
  });

  test("custom header mapping deletes client copies and uses the configured names", async () => {
    const record = await through("/custom", {
      "x-api-key": key,
      "X-Consumer": "mallory",
      "x-caller-token": "forged",
    });
    expect(values(record, "x-consumer")).toEqual(["alice"]);
    expect(values(record, "x-scopes")).toEqual(["a b"]);
    expect(values(record, "x-user-roles")).toEqual([]);
    const [token] = values(record, "x-caller-token");
    expect(token).not.toBe("forged");
    expect((await verifyForAudience(token!, "reports-svc")).sub).toBe("alice");
  });

  test("a route that forwards credentials passes the key through", async () => {
    const record = await through("/forward", { "x-api-key": key });
    expect(values(record, "x-api-key")).toEqual([key]);
  });
});
