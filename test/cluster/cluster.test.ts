import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { encodeFrame } from "../../src/cluster/codec.ts";
import { Keyring } from "../../src/cluster/keyring.ts";
import { encodeMessage, MessageKind } from "../../src/cluster/messages.ts";
import { startUpstream, type RecordingUpstream } from "../support/upstream.ts";
import {
  clusterCounters,
  clusterKey,
  inspectKey,
  limit,
  members,
  paceLoad,
  setFaults,
  startCluster,
  startNode,
  sum,
  waitFor,
  type ClusterNode,
} from "./cluster-harness.ts";

/**
 * Three real gateway processes on loopback share one limit (R = 100/s, B = 100) through signed
 * UDP gossip. Load is paced from this process. Accuracy bound checked everywhere:
 *   admitted(t) ≤ B + R·t + E,  E = 5 % · (B + R·t) + N  (README "Rate limiting").
 */
const { ratePerSec: R, burst: B } = limit;
const N = 3;
const bound = (seconds: number, extra = 0) =>
  B + R * seconds + 0.05 * (B + R * seconds) + N + extra;

let upstream: RecordingUpstream;
let nodes: ClusterNode[];
const url = (i: number) => () => nodes[i]!.gw.url;
const urls = [url(0), url(1), url(2)];

/** Lets every bucket refill completely so each scenario starts from the same state. */
const settle = () => Bun.sleep((B / R) * 1000 + 500);
const steadyMean = (perSecond: number[], from: number) =>
  sum(perSecond.slice(from)) / (perSecond.length - from);

beforeAll(async () => {
  upstream = await startUpstream();
  nodes = await startCluster(N, upstream.url);
}, 30_000);

afterAll(async () => {
  for (const node of nodes ?? []) {
    try {
      process.kill(node.gw.pid, "SIGCONT");
    } catch {}
  }
  await Promise.all((nodes ?? []).map((n) => n.gw.stop()));
  upstream?.stop();
});

describe("gossip-synchronised limit across 3 gateway processes", () => {
  test("70/20/10 load: within B + R·t + tolerance, within 10 % of R once steady", async () => {
    const seconds = 6;
    const result = await paceLoad(urls, [210, 60, 30], seconds);
    console.log("70/20/10 admitted per second", result.perSecond, "per node", result.perTarget);
    const admitted = sum(result.perSecond);
    expect(result.failed).toBe(0);
    expect(admitted).toBeLessThanOrEqual(bound(seconds));
    expect(Math.abs(steadyMean(result.perSecond, 2) - R)).toBeLessThanOrEqual(0.1 * R);
    // Every node admitted some: the busiest one did not take the whole limit.
    expect(result.perTarget.every((n) => n > 0)).toBe(true);
  }, 20_000);

  test("30 % packet loss on every node (fault switch) keeps the same bound", async () => {
    await settle();
    await Promise.all(nodes.map((n) => setFaults(n.gw, { dropProbability: 0.3 })));
    try {
      const result = await paceLoad(urls, [210, 60, 30], 5);
      console.log("30 % loss admitted per second", result.perSecond);
      expect(sum(result.perSecond)).toBeLessThanOrEqual(bound(5));
      expect(Math.abs(steadyMean(result.perSecond, 2) - R)).toBeLessThanOrEqual(0.1 * R);
      const dropped = await clusterCounters(nodes[0]!.gw);
      expect(dropped.cluster.faultDropped).toBeGreaterThan(0);
    } finally {
      await Promise.all(nodes.map((n) => setFaults(n.gw, { dropProbability: 0 })));
    }
  }, 20_000);

  test("a 3 s partition admits at most one extra R·t for the split, then heals", async () => {
    await settle();
    const cut = () =>
      Promise.all([
        setFaults(nodes[0]!.gw, { blockedPeers: ["n2"] }),
        setFaults(nodes[1]!.gw, { blockedPeers: ["n2"] }),
        setFaults(nodes[2]!.gw, { blockedPeers: ["n0", "n1"] }),
      ]);
    const heal = () => Promise.all(nodes.map((n) => setFaults(n.gw, { blockedPeers: [] })));
    const result = await paceLoad(urls, [100, 100, 100], 7, [
      { second: 1, run: cut },
      { second: 4, run: heal },
    ]);
    console.log("partition admitted per second", result.perSecond);
    // Policy `available`: each side may serve the full rate while split (3 s of extra R).
    expect(sum(result.perSecond)).toBeLessThanOrEqual(bound(7, R * 3));
    const healed = await waitFor(async () => {
      const views = await Promise.all(nodes.map((n) => members(n.gw)));
      return views.every((v) => v.every((m) => m.state === "alive"));
    }, 4_000);
    expect(healed).toBe(true);
  }, 25_000);

  test("a node paused with SIGSTOP is suspected, dead, then rejoins on SIGCONT", async () => {
    await settle();
    const paused = nodes[2]!;
    const stateOf = async () => (await members(nodes[0]!.gw)).find((m) => m.id === "n2")?.state;
    const seen = new Set<string>();
    process.kill(paused.gw.pid, "SIGSTOP");
    let result;
    try {
      result = await paceLoad([url(0), url(1)], [150, 150], 4.5, [
        ...Array.from({ length: 20 }, (_, i) => ({
          second: 0.2 * i,
          run: async () => seen.add((await stateOf())!),
        })),
      ]);
    } finally {
      process.kill(paused.gw.pid, "SIGCONT");
    }
    expect(seen.has("suspect")).toBe(true);
    expect(seen.has("dead")).toBe(true);
    expect(await waitFor(async () => (await stateOf()) === "alive", 3_000)).toBe(true);
    // With n2's share released once it is dead, n0 + n1 still hold the cluster limit.
    expect(sum(result.perSecond)).toBeLessThanOrEqual(bound(4.5));
  }, 20_000);

  test("a restarted node rejoins with a new incarnation, not double counted", async () => {
    await settle();
    const victim = nodes[1]!;
    const before = (await members(nodes[0]!.gw)).find((m) => m.id === "n1")!.incarnation;
    const seeds = nodes.filter((n) => n !== victim).map((n) => n.udpPort);
    const result = await paceLoad(urls, [210, 60, 30], 8, [
      {
        second: 1.5,
        run: async () => {
          await victim.gw.stop("SIGKILL");
          victim.gw = await startNode("n1", victim.udpPort, seeds, upstream.url);
        },
      },
    ]);
    console.log("restart admitted per second", result.perSecond, "failed", result.failed);
    const after = (await members(nodes[0]!.gw)).find((m) => m.id === "n1")!;
    expect(after.incarnation).toBeGreaterThan(before);
    expect(after.state).toBe("alive");
    // n0 holds exactly one counter series for n1: the new incarnation's, which started at zero.
    await Bun.sleep(300);
    const restarted = await inspectKey(victim.gw);
    const seenByN0 = (await inspectKey(nodes[0]!.gw)).peers.filter((p) => p.peer === "n1");
    expect(seenByN0.map((p) => p.incarnation)).toEqual([after.incarnation]);
    expect(seenByN0[0]!.count).toBe(restarted.own);
    // A restarted node at most spends its share of a burst before peers' counters arrive.
    expect(sum(result.perSecond)).toBeLessThanOrEqual(bound(8, B / N));
    // Double counting would show as a lasting shortfall; the last seconds are at the rate.
    expect(Math.abs(steadyMean(result.perSecond, 5) - R)).toBeLessThanOrEqual(0.1 * R);
  }, 30_000);

  test("a node with the wrong cluster key is rejected and its datagrams counted", async () => {
    const forgedBefore = (await clusterCounters(nodes[0]!.gw)).cluster.forged!;
    const intruder = await startNode("n9", 0, [nodes[0]!.udpPort], upstream.url, {
      key: "w".repeat(40),
    });
    try {
      expect(
        await waitFor(
          async () => (await clusterCounters(nodes[0]!.gw)).cluster.forged! > forgedBefore,
          3_000,
        ),
      ).toBe(true);
      expect((await members(nodes[0]!.gw)).map((m) => m.id).sort()).toEqual(["n1", "n2"]);
      expect((await members(intruder)).filter((m) => m.state === "alive")).toEqual([]);
    } finally {
      await intruder.stop();
    }
  }, 20_000);

  test("a replayed datagram is dropped and counted", async () => {
    const target = nodes[0]!;
    const before = (await clusterCounters(target.gw)).cluster;
    const datagram = encodeFrame(
      {
        clusterId: "portcullis",
        sender: "replayer",
        incarnation: Date.now(),
        seq: 1,
        timeMs: Date.now(),
      },
      encodeMessage({
        kind: MessageKind.broadcast,
        messageId: 1,
        topic: "test.noop",
        body: new Uint8Array([1]),
      }),
      new Keyring([clusterKey]),
    );
    const socket = await Bun.udpSocket({ hostname: "127.0.0.1", port: 0 });
    socket.send(datagram, target.udpPort, "127.0.0.1");
    await Bun.sleep(100);
    socket.send(datagram, target.udpPort, "127.0.0.1");
    await Bun.sleep(100);
    socket.close();
    const after = (await clusterCounters(target.gw)).cluster;
    expect(after.replayed! - before.replayed!).toBe(1);
    expect(after.broadcastsDelivered! - before.broadcastsDelivered!).toBe(1);
  });
});
