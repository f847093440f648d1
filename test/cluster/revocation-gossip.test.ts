import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { stringify } from "yaml";
import { encodeFrame } from "../../src/cluster/codec.ts";
import { Keyring } from "../../src/cluster/keyring.ts";
import { encodeMessage, MessageKind } from "../../src/cluster/messages.ts";
import { revocationTopic } from "../../src/identity/revocation-gossip.ts";
import { admin, cli } from "../identity/fixtures.ts";
import { startGateway, type GatewayProcess } from "../support/gateway.ts";
import { startUpstream, type RecordingUpstream } from "../support/upstream.ts";
import { clusterKey, freeUdpPorts, members, waitFor } from "./cluster-harness.ts";

/**
 * Three real gateway processes in one gossip cluster, each with its OWN identity store file,
 * all holding copies of one store made before start. A store poll only ever sees its own file,
 * so a revocation made on n0 can reach n1 and n2 only through the cluster broadcast. A fourth
 * gateway outside the cluster holds the same copy and is the control: nothing revokes there.
 */
let upstream: RecordingUpstream;
let ports: number[];
const dirs: string[] = [];
const nodes: GatewayProcess[] = [];
let control: GatewayProcess;
const keys: Record<string, { key: string; keyId: string }> = {};
/** Tokens minted on n1 and n2 from bob's key. */
let bobTokens: string[] = [];

function config(index: number | null) {
  const cluster =
    index === null
      ? { enabled: false }
      : {
          enabled: true,
          bind: { host: "127.0.0.1", port: ports[index]! },
          seeds: ports.filter((_, i) => i !== index).map((p) => `127.0.0.1:${p}`),
          keys: [clusterKey],
          probeIntervalMs: 500,
          probeTimeoutMs: 200,
          suspectTimeoutMs: 1_500,
        };
  return {
    nodeId: index === null ? "control" : `n${index}`,
    upstreams: { u1: { targets: [upstream.url] } },
    identity: {
      consumers: [
        { id: "alice", tenant: "t1", roles: ["user"] },
        { id: "bob", tenant: "t2", roles: ["user"] },
        { id: "carol", tenant: "t3", roles: ["user"] },
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
    log: { level: "warn" },
    cluster,
  };
}

/** Creates keys with the CLI in n0's store before any gateway runs, then copies that store. */
async function provision(): Promise<void> {
  for (let i = 0; i < 4; i++) dirs.push(mkdtempSync(join(tmpdir(), "portcullis-revoke-")));
  const configPath = join(dirs[0]!, "provision.yaml");
  writeFileSync(configPath, stringify({ dataDir: join(dirs[0]!, "data"), ...config(0) }));
  for (const consumer of ["alice", "bob", "carol"]) {
    const args = ["keys", "create", "--consumer", consumer, "--config", configPath, "--json"];
    const created = await cli(args);
    if (created.code !== 0) throw new Error(created.stderr);
    const { key, keyId } = JSON.parse(created.stdout);
    keys[consumer] = { key, keyId };
  }
  for (const dir of dirs.slice(1)) {
    mkdirSync(join(dir, "data"), { mode: 0o700 });
    for (const suffix of ["", "-wal", "-shm"]) {
      const from = join(dirs[0]!, "data", `identity.sqlite${suffix}`);
      if (existsSync(from)) copyFileSync(from, join(dir, "data", `identity.sqlite${suffix}`));
    }
  }
}

const status = async (gw: GatewayProcess, credential: string) =>
  (await fetch(`${gw.url}/v1/items`, { headers: { authorization: `Bearer ${credential}` } }))
    .status;

/** Milliseconds from `t0` until `credential` is refused on `gw`, polling every 50 ms for 3 s. */
async function msUntilRefused(gw: GatewayProcess, credential: string, t0: number) {
  while (performance.now() - t0 < 3_000) {
    if ((await status(gw, credential)) === 401) return Math.round(performance.now() - t0);
    await Bun.sleep(50);
  }
  return Infinity;
}

async function mint(gw: GatewayProcess, key: string): Promise<string> {
  const response = await fetch(`${gw.url}/oauth/token`, {
    method: "POST",
    headers: { "content-type": "application/x-www-form-urlencoded" },
    body: new URLSearchParams({ grant_type: "client_credentials", client_secret: key }),
  });
  expect(response.status).toBe(200);
  return ((await response.json()) as { access_token: string }).access_token;
}

const gossipStats = async (gw: GatewayProcess) =>
  (await admin(gw, "GET", "/identity/revocations/gossip")).body as Record<string, number>;

const keyState = async (gw: GatewayProcess, keyId: string) => {
  const listed = (await admin(gw, "GET", "/identity/keys")).body as Array<Record<string, string>>;
  return listed.find((k) => k.keyId === keyId) ?? null;
};

beforeAll(async () => {
  upstream = await startUpstream();
  ports = await freeUdpPorts(3);
  await provision();
  const started = await Promise.all([
    ...[0, 1, 2].map((i) => startGateway(config(i), { dir: dirs[i] })),
    startGateway(config(null), { dir: dirs[3] }),
  ]);
  nodes.push(...started.slice(0, 3));
  control = started[3]!;
  const converged = await waitFor(async () => {
    const views = await Promise.all(nodes.map((n) => members(n)));
    return views.every((v) => v.filter((m) => m.state === "alive").length === 2);
  }, 5_000);
  if (!converged) throw new Error("cluster did not converge");
}, 30_000);

afterAll(async () => {
  await Promise.all([...nodes, control].filter(Boolean).map((gw) => gw.stop()));
  upstream?.stop();
  for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
});

describe("API key revocations travel over gossip", () => {
  test("the same CLI-made key works on every node before any revocation", async () => {
    for (const gw of [...nodes, control]) {
      expect(await status(gw, keys.alice!.key)).toBe(200);
      expect(await status(gw, keys.bob!.key)).toBe(200);
    }
  });

  test("a key revoked through n0's admin API is refused by n1 and n2 within 1 s", async () => {
    const t0 = performance.now();
    const [revoked, ...times] = await Promise.all([
      admin(nodes[0]!, "POST", `/identity/keys/${keys.alice!.keyId}/revoke`),
      msUntilRefused(nodes[1]!, keys.alice!.key, t0),
      msUntilRefused(nodes[2]!, keys.alice!.key, t0),
    ]);
    console.log("key revocation reached n1, n2 after (ms):", times);
    expect(revoked.status).toBe(200);
    for (const ms of times) expect(ms).toBeLessThan(1_000);

    // Stored, not only cached: each receiver's own store now lists the key as revoked.
    for (const gw of nodes.slice(1)) {
      expect((await keyState(gw, keys.alice!.keyId))?.state).toBe("revoked");
      expect(await gossipStats(gw)).toMatchObject({ applied: 1, malformed: 0 });
    }
    // The control shares the store copy but not the cluster: only gossip could have revoked it.
    expect(await status(control, keys.alice!.key)).toBe(200);
    expect(await status(nodes[1]!, keys.bob!.key)).toBe(200);
  });

  test("a key revoked with the CLI on n0's store is refused by n1 and n2 within 1 s", async () => {
    expect(await status(nodes[1]!, keys.carol!.key)).toBe(200);
    const args = ["keys", "revoke", keys.carol!.keyId, "--config", nodes[0]!.configPath];
    const revoked = await cli(args);
    expect(revoked.code).toBe(0);
    // From the CLI's exit: n0's store poll notices the change, then broadcasts it.
    const t0 = performance.now();
    const times = await Promise.all(
      nodes.slice(1).map((gw) => msUntilRefused(gw, keys.carol!.key, t0)),
    );
    console.log("CLI revocation reached n1, n2 after (ms, from CLI exit):", times);
    for (const ms of times) expect(ms).toBeLessThan(1_000);
    expect(await status(control, keys.carol!.key)).toBe(200);
  });

  test("a key only n0 held becomes a revoked tombstone on n1 and n2", async () => {
    const created = await admin(nodes[0]!, "POST", "/identity/keys", { consumer: "bob" });
    expect(created.status).toBe(201);
    const keyId = created.body.keyId as string;
    expect(await keyState(nodes[1]!, keyId)).toBeNull();

    await admin(nodes[0]!, "POST", `/identity/keys/${keyId}/revoke`);
    const arrived = await waitFor(async () => {
      const states = await Promise.all(nodes.slice(1).map((gw) => keyState(gw, keyId)));
      return states.every((s) => s?.state === "revoked");
    }, 1_000);
    expect(arrived).toBe(true);
    expect((await keyState(nodes[1]!, keyId))?.consumer).toBe("");
  });

  test("a consumer disabled on n0 loses keys and minted tokens on n1, n2 within 1 s", async () => {
    const tokens = await Promise.all(nodes.slice(1).map((gw) => mint(gw, keys.bob!.key)));
    bobTokens = tokens;
    for (const [i, gw] of nodes.slice(1).entries()) {
      expect(await status(gw, tokens[i]!)).toBe(200);
    }

    const t0 = performance.now();
    const [disabled, ...times] = await Promise.all([
      admin(nodes[0]!, "POST", "/identity/consumers/bob/disable"),
      msUntilRefused(nodes[1]!, keys.bob!.key, t0),
      msUntilRefused(nodes[2]!, keys.bob!.key, t0),
      msUntilRefused(nodes[1]!, tokens[0]!, t0),
      msUntilRefused(nodes[2]!, tokens[1]!, t0),
    ]);
    console.log("consumer disable reached n1, n2 (key), n1, n2 (token) after (ms):", times);
    expect(disabled.status).toBe(200);
    for (const ms of times) expect(ms).toBeLessThan(1_000);
    expect(await status(control, keys.bob!.key)).toBe(200);
  });

  test("a restarted receiver still refuses what it learned by gossip", async () => {
    await nodes[1]!.stop();
    nodes[1] = await startGateway(config(1), { dir: dirs[1] });
    // Nothing was re-sent to the new process: the refusals below come from its own store.
    expect(await gossipStats(nodes[1]!)).toMatchObject({ applied: 0, duplicate: 0 });
    expect(await status(nodes[1]!, keys.alice!.key)).toBe(401);
    expect(await status(nodes[1]!, keys.bob!.key)).toBe(401);
    expect(await status(nodes[1]!, bobTokens[0]!)).toBe(401);
    expect((await keyState(nodes[1]!, keys.bob!.keyId))?.state).toBe("revoked");
    const consumers = (await admin(nodes[1]!, "GET", "/identity/consumers")).body as Array<
      Record<string, string>
    >;
    expect(consumers.find((c) => c.id === "bob")?.state).toBe("disabled");
  });

  test("malformed revocations from an authenticated sender are counted and dropped", async () => {
    const target = nodes[2]!;
    const before = await gossipStats(target);
    const socket = await Bun.udpSocket({ hostname: "127.0.0.1", port: 0 });
    const bodies = ["{not json", JSON.stringify({ kind: "key", id: "../x", atMs: 1 })];
    for (const [i, body] of bodies.entries()) {
      const header = { clusterId: "portcullis", sender: "odd-peer", incarnation: 1 };
      const datagram = encodeFrame(
        { ...header, seq: i + 1, timeMs: Date.now() },
        encodeMessage({
          kind: MessageKind.broadcast,
          messageId: i + 1,
          topic: revocationTopic,
          body: new TextEncoder().encode(body),
        }),
        new Keyring([clusterKey]),
      );
      socket.send(datagram, ports[2]!, "127.0.0.1");
    }
    const counted = await waitFor(
      async () => (await gossipStats(target)).malformed! - before.malformed! === 2,
      2_000,
    );
    socket.close();
    expect(counted).toBe(true);
    expect((await gossipStats(target)).applied).toBe(before.applied!);
    expect(await status(target, keys.alice!.key)).toBe(401);
    expect(target.logText()).not.toContain("broadcast handler failed");
  });
});
