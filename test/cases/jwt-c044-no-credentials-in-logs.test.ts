import { afterAll, describe, expect, test } from "bun:test";
import type { GatewayProcess } from "../support/gateway.ts";
import { generateTestKey, mint } from "../support/keys.ts";
import type { RecordingUpstream } from "../support/upstream.ts";
import { consumerWithKey, secretsFound, signatureOf } from "../identity/fixtures.ts";
import { getRoute, startCaseGateway, staticIssuer } from "./jwt-case-support.ts";

const k1 = generateTestKey("k1");
const kx = generateTestKey("k1");
const upstreams: RecordingUpstream[] = [];
const gateways: GatewayProcess[] = [];

afterAll(async () => {
  for (const gw of gateways) await gw.stop();
  for (const u of upstreams) u.stop();
});

async function run(level: string) {
  const dead = Bun.listen({ hostname: "127.0.0.1", port: 0, socket: { data() {} } });
  const deadUrl = `http://127.0.0.1:${dead.port}`;
  dead.stop(true);
  const auth = { jwt: ["idp"], apiKey: { header: "X-API-Key" } };
  const { u1, gw } = await startCaseGateway({
    log: { level },
    upstreams: { dead: { targets: [deadUrl] } },
    identity: { issuers: [staticIssuer(k1)] },
    routes: [
      getRoute("ord2", "/v1/orders", auth, { roles: ["user", "admin"] }),
      {
        id: "dead",
        path: "/dead/*",
        upstream: "dead",
        auth: { jwt: ["idp"] },
        access: { authenticated: true },
      },
    ],
  });
  upstreams.push(u1);
  gateways.push(gw);
  const { key } = await consumerWithKey(gw, { id: "alice", roles: ["user"] });

  const alice = mint({ sub: "alice", roles: ["user"], tenant: "t1" }, {}, k1);
  const admin = mint({ sub: "ada", roles: ["admin"] }, {}, k1);
  const forged = mint({ sub: "alice", roles: ["user"] }, {}, kx);
  const expired = mint(
    { sub: "alice", roles: ["user"], exp: Math.floor(Date.now() / 1000) - 3600 },
    {},
    k1,
  );
  const [h, p, s] = alice.split(".");
  const tampered = `${h}.${p!.slice(0, -2)}${p!.at(-2) === "A" ? "B" : "A"}${p!.at(-1)}.${s}`;
  const keyVariant = key.slice(0, -1) + (key.at(-1) === "a" ? "b" : "a");
  const basic = Buffer.from("alice:Pa55-w0rd-XYZ").toString("base64");

  const send = async (path: string, headers: Record<string, string>) => {
    const response = await fetch(`${gw.url}${path}`, { headers });
    return { status: response.status, body: await response.text() };
  };
  const answers = [
    [await send("/v1/orders", { authorization: `Bearer ${alice}` }), 200],
    [await send("/v1/orders", { authorization: `Bearer ${forged}` }), 401],
    [await send("/v1/orders", { authorization: `Bearer ${tampered}` }), 401],
    [await send("/v1/orders", { authorization: `Bearer ${expired}` }), 401],
    [await send("/v1/orders", { "x-api-key": key }), 200],
    [await send("/v1/orders", { "x-api-key": keyVariant }), 401],
    [await send("/v1/orders", { authorization: `Basic ${basic}` }), 401],
    [await send("/v1/orders", { "proxy-authorization": `Bearer ${admin}` }), 401],
    [await send("/v1/orders", { cookie: "session=sess-3f9a1c7e5b2d4086" }), 401],
    [await send(`/v1/orders?access_token=${alice}`, {}), 401],
    [await send("/dead/x", { authorization: `Bearer ${alice}` }), 502],
  ] as const;
  for (const [answer, status] of answers) expect(answer.status).toBe(status);

  const secrets = {
    alice,
    admin,
    forged,
    expired,
    tampered,
    key,
    keyVariant,
    aliceSig: signatureOf(alice),
    adminSig: signatureOf(admin),
    forgedSig: signatureOf(forged),
    password: "Pa55-w0rd-XYZ",
    basic,
    cookie: "sess-3f9a1c7e5b2d4086",
  };
  for (const [answer, status] of answers) {
    if (status === 200) continue;
    for (const [label, secret] of Object.entries(secrets)) {
      expect(`${label} in body: ${answer.body.includes(secret)}`).toBe(`${label} in body: false`);
    }
    expect(answer.body).not.toContain("BEGIN");
    expect(answer.body).not.toContain('"n":');
  }
  await gw.stop();
  expect(secretsFound(gw, secrets)).toEqual([]);
}

describe("C044 credentials never appear in logs or error responses", () => {
  test("C044 at the default log level", () => run("info"), 20_000);
  test("C044 at the most verbose log level", () => run("trace"), 20_000);
});
