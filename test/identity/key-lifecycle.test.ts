import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { startGateway, type GatewayProcess } from "../support/gateway.ts";
import { startUpstream, type RecordingUpstream } from "../support/upstream.ts";
import { admin, cli, secretsFound } from "./fixtures.ts";

let u1: RecordingUpstream;
let gw: GatewayProcess;
const secrets: Record<string, string> = {};

const config = () => ({
  upstreams: { u1: { targets: [u1.url] } },
  identity: {
    store: { lastUsedFlushMs: 200 },
    consumers: [
      { id: "alice", tenant: "t1", roles: ["user"], scopes: ["orders:read"] },
      { id: "bob", tenant: "t2", roles: ["user"] },
    ],
    tokens: { endpoint: true },
  },
  routes: [
    {
      id: "items",
      path: "/v1/items",
      methods: ["GET"],
      upstream: "u1",
      auth: { apiKey: true, jwt: ["gateway"] },
      access: { authenticated: true },
    },
  ],
});

beforeAll(async () => {
  u1 = await startUpstream();
  gw = await startGateway(config());
});

afterAll(async () => {
  await gw?.stop();
  u1?.stop();
});

const use = async (credential: string) =>
  (await fetch(`${gw.url}/v1/items`, { headers: { authorization: `Bearer ${credential}` } }))
    .status;

async function keysCli(...args: string[]) {
  const result = await cli([...args, "--config", gw.configPath, "--json"]);
  if (result.code !== 0) throw new Error(result.stderr);
  return JSON.parse(result.stdout);
}

/** Milliseconds until `credential` is refused, polling every 20 ms for up to 3 s. */
async function msUntilRefused(credential: string): Promise<number> {
  const started = performance.now();
  while (performance.now() - started < 3000) {
    if ((await use(credential)) === 401) return performance.now() - started;
    await Bun.sleep(20);
  }
  return Infinity;
}

async function mintToken(key: string) {
  const response = await fetch(`${gw.url}/oauth/token`, {
    method: "POST",
    headers: { "content-type": "application/x-www-form-urlencoded" },
    body: new URLSearchParams({ grant_type: "client_credentials", client_secret: key }),
  });
  expect(response.status).toBe(200);
  return ((await response.json()) as { access_token: string }).access_token;
}

describe("API key lifecycle through the CLI and the admin API", () => {
  test("create, use, rotate with overlap, and revoke within a second via the CLI", async () => {
    const created = await keysCli("keys", "create", "--consumer", "alice", "--label", "ci");
    secrets.first = created.key;
    expect(created.key).toStartWith("pk_live_");
    expect(await use(created.key)).toBe(200);

    const rotated = await keysCli("keys", "rotate", created.keyId, "--grace", "3s");
    secrets.second = rotated.key;
    expect(rotated.rotatedFrom).toBe(created.keyId);
    expect(await use(created.key)).toBe(200);
    expect(await use(rotated.key)).toBe(200);
    await Bun.sleep(3200);
    expect(await use(created.key)).toBe(401);
    expect(await use(rotated.key)).toBe(200);

    await keysCli("keys", "revoke", rotated.keyId);
    const revokedAfterMs = await msUntilRefused(rotated.key);
    console.log(
      `CLI revocation took effect on the running gateway after ${revokedAfterMs.toFixed(0)} ms`,
    );
    expect(revokedAfterMs).toBeLessThan(1000);

    const listed = await keysCli("keys", "list", "--consumer", "alice");
    expect(listed.map((k: { state: string }) => k.state).sort()).toEqual(["expired", "revoked"]);
    expect(JSON.stringify(listed)).not.toContain(created.key.slice(-49));
  }, 20_000);

  test("the admin API creates and revokes keys with immediate effect on this node", async () => {
    const unauthorized = await fetch(`${gw.adminUrl}/identity/keys`, {
      method: "POST",
      body: JSON.stringify({ consumer: "bob" }),
    });
    expect(unauthorized.status).toBe(401);

    const created = await admin(gw, "POST", "/identity/keys", { consumer: "bob" });
    expect(created.status).toBe(201);
    secrets.bob = created.body.key;
    expect(await use(created.body.key)).toBe(200);
    expect((await admin(gw, "POST", `/identity/keys/${created.body.keyId}/revoke`)).status).toBe(
      200,
    );
    expect(await use(created.body.key)).toBe(401);
    expect((await admin(gw, "POST", "/identity/keys/nope/revoke")).status).toBe(404);
    expect((await admin(gw, "POST", "/identity/keys", { consumer: "ghost" })).status).toBe(404);
  });

  test("keys stale lists keys nobody used", async () => {
    const used = await admin(gw, "POST", "/identity/keys", { consumer: "bob" });
    const idle = await admin(gw, "POST", "/identity/keys", { consumer: "bob" });
    secrets.used = used.body.key;
    secrets.idle = idle.body.key;
    await Bun.sleep(3000);
    expect(await use(used.body.key)).toBe(200);
    await Bun.sleep(400);
    const stale = await keysCli("keys", "stale", "--unused-for", "3s");
    const ids = stale.map((k: { keyId: string }) => k.keyId);
    expect(ids).toContain(idle.body.keyId);
    expect(ids).not.toContain(used.body.keyId);
    const viaAdmin = await admin(gw, "GET", "/identity/keys/stale?unusedFor=3s");
    expect(viaAdmin.body.map((k: { keyId: string }) => k.keyId)).toContain(idle.body.keyId);
  }, 15_000);

  test("disabling a consumer kills all its keys and minted tokens at once", async () => {
    const one = await keysCli("keys", "create", "--consumer", "alice");
    const two = await keysCli("keys", "create", "--consumer", "alice");
    secrets.one = one.key;
    secrets.two = two.key;
    const token = await mintToken(one.key);
    secrets.token = token;
    expect(await use(token)).toBe(200);
    expect(await use(two.key)).toBe(200);

    const disabled = await keysCli("consumers", "disable", "alice");
    // The two new keys and the first one, expired by rotation but never revoked.
    expect(disabled.keysRevoked).toBe(3);
    await Bun.sleep(1000);
    expect(await use(one.key)).toBe(401);
    expect(await use(two.key)).toBe(401);
    expect(await use(token)).toBe(401);

    const consumers = await keysCli("consumers", "list");
    expect(consumers.find((c: { id: string }) => c.id === "alice").state).toBe("disabled");
  }, 15_000);

  test("revocations survive a restart; no key or token in the data dir or logs", async () => {
    const survivor = await admin(gw, "POST", "/identity/keys", { consumer: "bob" });
    secrets.survivor = survivor.body.key;
    await gw.stop();
    gw = await startGateway(config(), { dir: gw.dir });
    expect(await use(secrets.first!)).toBe(401);
    expect(await use(secrets.one!)).toBe(401);
    expect(await use(secrets.token!)).toBe(401);
    expect(await use(survivor.body.key)).toBe(200);
    await gw.stop();
    expect(secretsFound(gw, secrets)).toEqual([]);
  }, 20_000);
});
