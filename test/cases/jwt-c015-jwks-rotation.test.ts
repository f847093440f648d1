import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import type { GatewayProcess } from "../support/gateway.ts";
import {
  generateTestKey,
  mint,
  startJwksServer,
  type JwksServer,
} from "../support/keys.ts";
import type { RecordingUpstream } from "../support/upstream.ts";
import { call } from "../identity/fixtures.ts";
import { getRoute, jwksIssuer, startCaseGateway } from "./jwt-case-support.ts";

const k1 = generateTestKey("k1");
const k2 = generateTestKey("k2");
const kx = generateTestKey("kx");
let jwks: JwksServer;
let u1: RecordingUpstream;
let gw: GatewayProcess;
const statuses: number[] = [];

beforeAll(async () => {
  jwks = startJwksServer([k1]);
  // C015's test timings: cache 5 s, on-demand refetch at most every 2 s, fetch timeout 1 s.
  const timings = {
    refreshIntervalMs: 5000,
    minRefetchIntervalMs: 2000,
    fetchTimeoutMs: 1000,
    retryIntervalMs: 1000,
  };
  ({ u1, gw } = await startCaseGateway({
    identity: { issuers: [jwksIssuer("idp", jwks.url, { jwks: timings })] },
    routes: [getRoute("ord", "/v1/orders", { jwt: ["idp"] }, { roles: ["user", "admin"] })],
  }));
});

afterAll(async () => {
  await gw?.stop();
  u1?.stop();
  jwks?.stop();
});

async function send(key: typeof k1, kid = key.kid) {
  const token = mint({ sub: "ada", roles: ["admin"], jti: crypto.randomUUID() }, { kid }, key);
  const { status } = await call(gw, "/v1/orders", { authorization: `Bearer ${token}` });
  statuses.push(status);
  return status;
}

describe("C015 JWKS rotation, refresh on unknown kid, last good keys", () => {
  test("C015 follows rotation, refetches once per burst, survives outages and hangs", async () => {
    expect(await send(k1)).toBe(200);

    jwks.setKeys([k1, k2]);
    expect(await send(k2)).toBe(200);

    const before = jwks.fetches();
    const burst = await Promise.all(
      Array.from({ length: 20 }, () => send(kx, crypto.randomUUID())),
    );
    expect(burst.every((s) => s === 401)).toBe(true);
    expect(jwks.fetches() - before).toBeLessThanOrEqual(1);

    for (const mode of ["503", "invalid-json", "html"] as const) {
      jwks.setMode(mode);
      await Bun.sleep(2000);
    }
    expect(await send(k1)).toBe(200);
    expect(await send(k2)).toBe(200);

    jwks.setKeys([k2]);
    jwks.setMode("ok");
    await Bun.sleep(6000);
    expect(await send(k1)).toBe(401);
    expect(await send(k2)).toBe(200);

    jwks.setMode("hang");
    const started = performance.now();
    expect(await send(k2)).toBe(200);
    expect(performance.now() - started).toBeLessThan(2000);

    expect(statuses.filter((s) => s >= 500)).toEqual([]);
  }, 30_000);
});
