import { afterEach, describe, expect, test } from "bun:test";
import { GossipCluster, type ClusterSettings } from "../../src/cluster/cluster.ts";
import { encodeFrame } from "../../src/cluster/codec.ts";
import { Keyring } from "../../src/cluster/keyring.ts";
import { encodeMessage, MessageKind } from "../../src/cluster/messages.ts";
import { clusterSchema } from "../../src/config/sections/cluster.ts";
import { createLogger } from "../../src/log/logger.ts";

/** Real GossipCluster instances in one process, real UDP sockets on 127.0.0.1, fast timings. */
const key = "cluster-key-for-tests-0123456789abcdef";
const logger = createLogger({ level: "silent", nodeId: "test" });
const started: GossipCluster[] = [];

afterEach(async () => {
  await Promise.all(started.splice(0).map((c) => c.close()));
});

async function node(id: string, seeds: string[], overrides: Record<string, unknown> = {}) {
  const config = clusterSchema.parse({
    enabled: true,
    bind: { host: "127.0.0.1", port: 0 },
    seeds,
    keys: [key],
    gossipIntervalMs: 50,
    probeIntervalMs: 200,
    probeTimeoutMs: 80,
    suspectTimeoutMs: 600,
    faultInjection: true,
    ...overrides,
  });
  const cluster = await GossipCluster.start({ ...config, nodeId: id } as ClusterSettings, logger);
  started.push(cluster);
  return cluster;
}

async function until(probe: () => boolean, timeoutMs = 5_000): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (probe()) return true;
    await Bun.sleep(20);
  }
  return probe();
}

const states = (c: GossipCluster) =>
  Object.fromEntries(c.membership.all().map((m) => [m.id, m.state]));

describe("gossip membership over UDP", () => {
  test("three nodes find each other from one seed and all see each other alive", async () => {
    const a = await node("a", []);
    const b = await node("b", [`127.0.0.1:${a.port}`]);
    const c = await node("c", [`127.0.0.1:${a.port}`]);
    const converged = await until(() =>
      [a, b, c].every((n) => n.membership.live().filter((m) => m.state === "alive").length === 2),
    );
    expect(converged).toBe(true);
    expect(states(b)).toEqual({ a: "alive", c: "alive" });
  });

  test("a broadcast reaches every other node exactly once", async () => {
    const a = await node("a", []);
    const b = await node("b", [`127.0.0.1:${a.port}`]);
    const c = await node("c", [`127.0.0.1:${a.port}`, `127.0.0.1:${b.port}`]);
    await until(() => [a, b, c].every((n) => n.membership.live().length === 2));
    const got: string[] = [];
    for (const n of [b, c]) {
      n.on("identity.revoke", (body, from) =>
        got.push(`${n.nodeId}<${from}:${new TextDecoder().decode(body)}`),
      );
    }
    a.on("identity.revoke", () => got.push("a should not hear itself"));
    a.broadcast("identity.revoke", '{"keyId":"k1"}');
    await Bun.sleep(400);
    expect(got.sort()).toEqual(['b<a:{"keyId":"k1"}', 'c<a:{"keyId":"k1"}']);
    expect(b.stats().broadcastsDuplicate).toBe(2);
  });

  test("a leaving node is dead at once; a silent one is suspected, then dead", async () => {
    const a = await node("a", []);
    const b = await node("b", [`127.0.0.1:${a.port}`]);
    const c = await node("c", [`127.0.0.1:${a.port}`]);
    await until(() => a.membership.live().length === 2);
    await c.close();
    expect(await until(() => states(a).c === "dead", 1_000)).toBe(true);

    a.faults!.set({ blockedPeers: ["b"] });
    b.faults!.set({ blockedPeers: ["a"] });
    expect(await until(() => states(a).b === "suspect", 3_000)).toBe(true);
    expect(await until(() => states(a).b === "dead", 3_000)).toBe(true);
    a.faults!.set({ blockedPeers: [] });
    b.faults!.set({ blockedPeers: [] });
    expect(await until(() => states(a).b === "alive" && states(b).a === "alive", 3_000)).toBe(true);
  });

  test("a node with the wrong key is never admitted; its datagrams are counted", async () => {
    const a = await node("a", []);
    const intruder = await node("x", [`127.0.0.1:${a.port}`], { keys: ["x".repeat(40)] });
    await Bun.sleep(700);
    expect(a.membership.all()).toEqual([]);
    expect(intruder.membership.all().filter((m) => m.state === "alive")).toEqual([]);
    expect(a.stats().forged).toBeGreaterThan(0);
    expect(a.stats().accepted).toBe(0);
  });

  test("a replayed datagram is dropped and counted; a forged sender is rejected", async () => {
    const a = await node("a", []);
    const socket = await Bun.udpSocket({ hostname: "127.0.0.1", port: 0 });
    const frame = (seq: number, ring: Keyring) =>
      encodeFrame(
        { clusterId: "portcullis", sender: "t", incarnation: Date.now(), seq, timeMs: Date.now() },
        encodeMessage({
          kind: MessageKind.broadcast,
          messageId: seq,
          topic: "x",
          body: new Uint8Array(1),
        }),
        ring,
      );
    const good = frame(1, new Keyring([key]));
    socket.send(good, a.port, "127.0.0.1");
    await until(() => a.stats().accepted === 1, 1_000);
    socket.send(good, a.port, "127.0.0.1");
    socket.send(frame(2, new Keyring(["y".repeat(32)])), a.port, "127.0.0.1");
    socket.send(new Uint8Array([1, 2, 3]), a.port, "127.0.0.1");
    await until(() => a.stats().malformed === 1, 1_000);
    socket.close();
    expect(a.stats()).toMatchObject({ accepted: 1, replayed: 1, forged: 1, malformed: 1 });
  });

  test("the fault switch's drop probability drops outgoing datagrams", async () => {
    const a = await node("a", []);
    const b = await node("b", [`127.0.0.1:${a.port}`]);
    await until(() => a.membership.live().length === 1 && b.membership.live().length === 1);
    a.faults!.set({ dropProbability: 1 });
    const before = a.stats();
    for (let i = 0; i < 20; i++) a.broadcast("t", "x");
    expect(a.stats().faultDropped - before.faultDropped).toBeGreaterThanOrEqual(20);
    expect(() => a.faults!.set({ dropProbability: 2 })).toThrow();
  });
});
