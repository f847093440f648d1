import { afterEach, describe, expect, test } from "bun:test";
import { readdirSync, readFileSync, statSync } from "node:fs";
import { join } from "node:path";
import { consumerWithKey } from "../identity/fixtures.ts";
import { startGateway, type GatewayProcess } from "../support/gateway.ts";
import { generateTestKey, mint, testAudience, testIssuer } from "../support/keys.ts";
import { startUpstream, type RecordingUpstream } from "../support/upstream.ts";

/**
 * C044: credentials never appear in logs (operational, access, audit) or in error bodies, at
 * the default log level and at the most verbose one. The product has no HTTP Basic auth, so
 * item 6 is sent to the JWT/API-key route and must simply be refused without a trace.
 */
const k1 = generateTestKey("k1");
const kx = generateTestKey("k1"); // the attacker's key, same kid, never published
const now = () => Math.floor(Date.now() / 1000);
const tAlice = () => mint({ sub: "alice", roles: ["user"], tenant: "t1" }, {}, k1);
const tAdmin = () => mint({ sub: "ada", roles: ["admin"] }, {}, k1);

const running: Array<GatewayProcess | RecordingUpstream> = [];
afterEach(async () => {
  for (const item of running.splice(0)) {
    if ("pid" in item) await item.stop("SIGKILL");
    else item.stop();
  }
});

async function deadPort(): Promise<number> {
  const listener = Bun.listen({ hostname: "127.0.0.1", port: 0, socket: { data() {} } });
  const port = listener.port;
  listener.stop(true);
  return port;
}

async function start(level: string) {
  const u1 = await startUpstream();
  running.push(u1);
  const gateway = await startGateway({
    log: { level },
    identity: {
      apiKeys: { prefix: "pk_test" },
      issuers: [
        { id: "idp", issuer: testIssuer, audience: testAudience, keys: [{ jwk: k1.publicJwk }] },
      ],
    },
    upstreams: {
      u1: { targets: [u1.url + "/"] },
      dead: { targets: [`http://127.0.0.1:${await deadPort()}/`] },
    },
    routes: [
      {
        id: "ord2",
        path: "/v1/orders",
        methods: ["GET"],
        upstream: "u1",
        auth: { jwt: ["idp"], apiKey: true },
        access: { roles: ["user", "admin"] },
      },
      {
        id: "dead",
        path: "/dead/*",
        upstream: "dead",
        auth: { jwt: ["idp"] },
        access: { roles: ["user"] },
      },
    ],
  });
  running.push(gateway);
  return gateway;
}

function tamperPayload(token: string): string {
  const [header, payload, signature] = token.split(".") as [string, string, string];
  const flipped = payload[5] === "A" ? "B" : "A";
  return `${header}.${payload.slice(0, 5)}${flipped}${payload.slice(6)}.${signature}`;
}

/** Every file the gateway wrote (log, audit segments, store) plus its stdout and stderr. */
function allLogs(gateway: GatewayProcess): string {
  const files = (dir: string): string[] =>
    readdirSync(dir).flatMap((name) => {
      const path = join(dir, name);
      return statSync(path).isDirectory() ? files(path) : [path];
    });
  const written = files(gateway.dir).filter((f) => !f.endsWith("gateway.yaml"));
  return [gateway.output(), ...written.map((f) => readFileSync(f).toString("latin1"))].join("\n");
}

async function runCase(level: string) {
  const gateway = await start(level);
  const { key } = await consumerWithKey(gateway, { id: "alice", tenant: "t1", roles: ["user"] });
  const alice = tAlice();
  const admin = tAdmin();
  const forged = mint({ sub: "alice", roles: ["user"] }, {}, kx);
  const stale = { exp: now() - 600, iat: now() - 900 };
  const expired = mint({ sub: "alice", roles: ["user"], ...stale }, {}, k1);
  const changedAlice = tamperPayload(alice);
  const keyVariant = key.slice(0, -1) + (key.endsWith("a") ? "b" : "a");
  const basic = Buffer.from("alice:Pa55-w0rd-XYZ").toString("base64");

  const orders = `${gateway.url}/v1/orders`;
  const requests: Array<[string, string, Record<string, string>, number]> = [
    ["1 alice token", orders, { authorization: `Bearer ${alice}` }, 200],
    ["2 signed by KX", orders, { authorization: `Bearer ${forged}` }, 401],
    ["3 payload changed", orders, { authorization: `Bearer ${changedAlice}` }, 401],
    ["4 expired", orders, { authorization: `Bearer ${expired}` }, 401],
    ["5 api key", orders, { "x-api-key": key }, 200],
    ["5 api key variant", orders, { "x-api-key": keyVariant }, 401],
    ["6 basic", orders, { authorization: `Basic ${basic}` }, 401],
    ["7 proxy-authorization", orders, { "proxy-authorization": `Bearer ${admin}` }, 401],
    ["8 cookie", orders, { cookie: "session=sess-3f9a1c7e5b2d4086" }, 401],
    ["9 query token", `${orders}?access_token=${alice}`, {}, 401],
    ["10 dead upstream", `${gateway.url}/dead/x`, { authorization: `Bearer ${alice}` }, 502],
  ];
  const bodies: string[] = [];
  for (const [label, url, headers, expected] of requests) {
    const response = await fetch(url, { headers });
    const body = await response.text();
    expect(`${label} ${response.status}`).toBe(`${label} ${expected}`);
    if (response.status >= 400) bodies.push(body);
  }
  expect(await gateway.stop("SIGTERM")).toBe(0);

  const secrets: Record<string, string> = { key, keyVariant, basic, password: "Pa55-w0rd-XYZ" };
  secrets.cookie = "sess-3f9a1c7e5b2d4086";
  for (const [name, token] of Object.entries({ alice, admin, forged, expired, changedAlice })) {
    secrets[`${name} token`] = token;
    secrets[`${name} signature`] = token.split(".")[2]!;
  }
  const logs = allLogs(gateway);
  expect(logs).toContain('"msg":"access"');
  const leakedInLogs = Object.entries(secrets).filter(([, s]) => logs.includes(s));
  expect(leakedInLogs.map(([label]) => label)).toEqual([]);
  const inBodies = ([, s]: [string, string]) => bodies.some((b) => b.includes(s));
  const leakedInBodies = Object.entries(secrets).filter(inBodies);
  expect(leakedInBodies.map(([label]) => label)).toEqual([]);
  for (const body of bodies) expect(body).not.toMatch(/BEGIN (PUBLIC|PRIVATE) KEY|"n":"|jose|JWS/i);
}

describe("C044 credentials never appear in logs or error responses", () => {
  test("C044 at the default log level", async () => {
    await runCase("info");
  });

  test("C044 at the most verbose log level", async () => {
    await runCase("trace");
  });
});
