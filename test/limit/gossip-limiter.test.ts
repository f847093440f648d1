import { describe, expect, test } from "bun:test";
import type { GossipCluster } from "../../src/cluster/cluster.ts";
import { Keyring } from "../../src/cluster/keyring.ts";
import { Membership } from "../../src/cluster/members.ts";
import { createManualClock, type ManualClock } from "../../src/limit/clock.ts";
import { GossipLimiter } from "../../src/limit/gossip-limiter.ts";
import { createDecision } from "../../src/limit/limit-rule.ts";

/**
 * In-process simulation of N nodes: real GossipLimiter and Membership, a manual clock, and
 * counter bodies handed from node to node every gossip interval (with optional loss). The UDP
 * path is covered by test/cluster; this isolates the algorithm and its accuracy bound.
 */
const key = "alice";
const rule = { id: "consumer:alice:cap", ratePerSec: 300, burst: 300 };
const intervalMs = 100;
const options = { maxKeys: 10_000, onMaxKeys: "shared" as const, idleEvictMs: 60_000 };
const keyring = new Keyring(["k".repeat(32)]);

interface SimNode {
  id: string;
  incarnation: number;
  limiter: GossipLimiter;
  membership: Membership;
  admitted: number;
}

function createNode(id: string, clock: ManualClock, incarnation: number, policy = "available") {
  const membership = new Membership(id, {
    suspectTimeoutMs: 3_000,
    partitionPolicy: policy as "available" | "conservative",
    conservativeGraceMs: 30_000,
  });
  const fake = {
    membership,
    gossipIntervalMs: intervalMs,
    attachCounters: () => {},
    hashKeyName: (ruleId: string, name: string) => keyring.hashKeyName(ruleId, name),
  };
  const limiter = new GossipLimiter(fake as unknown as GossipCluster, options, clock);
  limiter.close();
  return { id, incarnation, limiter, membership, admitted: 0 };
}

function connect(nodes: SimNode[], now: number) {
  for (const a of nodes) {
    for (const b of nodes)
      if (a !== b) a.membership.heard(b.id, "127.0.0.1", 1, b.incarnation, now);
  }
}

/** A seeded generator, so lossy runs are the same every time (xorshift32). */
let seed = 0x9e3779b9;
function random(): number {
  seed ^= seed << 13;
  seed ^= seed >>> 17;
  seed ^= seed << 5;
  return (seed >>> 0) / 0x1_0000_0000;
}

function gossip(nodes: SimNode[], now: number, loss = 0, cut: Set<string> = new Set()) {
  for (const from of nodes) {
    const bodies = from.limiter.collect(now);
    for (const to of nodes) {
      if (to === from || cut.has(`${from.id}>${to.id}`)) continue;
      const member = to.membership.get(from.id)!;
      to.membership.heard(from.id, "127.0.0.1", 1, from.incarnation, now);
      for (const body of bodies) if (random() >= loss) to.limiter.apply(member, body, now);
    }
  }
}

/** Offers `perSecond[i]` requests per second at node i for `seconds`; admitted per second. */
function drive(
  nodes: SimNode[],
  clock: ManualClock,
  perSecond: number[],
  seconds: number,
  tick: (nowMs: number) => void = () => {},
) {
  const table = nodes.map((n) => n.limiter.table(rule));
  const decision = createDecision();
  const owed = perSecond.map(() => 0);
  const perSecondAdmitted: number[] = [];
  const start = clock();
  for (let step = 1; step <= seconds * 100; step++) {
    clock.set(start + step * 10);
    nodes.forEach((node, i) => {
      owed[i]! += perSecond[i]! / 100;
      while (owed[i]! >= 1) {
        owed[i]! -= 1;
        node.limiter.check(table[i]!, key, 1, decision);
        if (!decision.allowed) continue;
        node.limiter.commit(decision);
        node.admitted++;
        const second = Math.floor((step - 1) / 100);
        perSecondAdmitted[second] = (perSecondAdmitted[second] ?? 0) + 1;
      }
    });
    if (step % (intervalMs / 10) === 0) tick(clock());
  }
  return perSecondAdmitted.map((n) => n ?? 0);
}

function cluster(count: number, policy = "available") {
  const clock = createManualClock(10_000);
  const nodes = Array.from({ length: count }, (_, i) =>
    createNode(`n${i}`, clock, 1_000 + i, policy),
  );
  connect(nodes, clock());
  return { clock, nodes };
}

describe("GossipLimiter accuracy (simulated, 3 nodes, R = B = 300/s)", () => {
  test("70/20/10 load: within burst + rate·t, within 10 % of R once steady", () => {
    const { clock, nodes } = cluster(3);
    const perSecond = drive(nodes, clock, [1050, 300, 150], 10, (now) => gossip(nodes, now));
    if (process.env.SIM_PRINT)
      console.log(
        "70/20/10",
        perSecond,
        nodes.map((n) => n.admitted),
      );
    const total = perSecond.reduce((a, b) => a + b, 0);
    expect(total).toBeLessThanOrEqual(300 + 300 * 10 + 300 * 0.05);
    for (const admitted of perSecond.slice(2)) {
      expect(Math.abs(admitted - 300)).toBeLessThanOrEqual(30);
    }
    // Each node got some of the limit: no node was starved by the busy one.
    expect(nodes.every((n) => n.admitted > 100)).toBe(true);
  });

  test("all load on one node still reaches the full rate (demand-weighted shares)", () => {
    const { clock, nodes } = cluster(3);
    const perSecond = drive(nodes, clock, [1500, 0, 0], 8, (now) => gossip(nodes, now));
    if (process.env.SIM_PRINT) console.log("one node", perSecond);
    for (const admitted of perSecond.slice(3)) expect(admitted).toBeGreaterThanOrEqual(270);
    expect(perSecond.reduce((a, b) => a + b, 0)).toBeLessThanOrEqual(300 + 300 * 8);
  });

  test("30 % gossip loss changes nothing beyond the tolerance (counters are cumulative)", () => {
    const { clock, nodes } = cluster(3);
    const perSecond = drive(nodes, clock, [700, 500, 300], 8, (now) => gossip(nodes, now, 0.3));
    if (process.env.SIM_PRINT) console.log("loss", perSecond);
    expect(perSecond.reduce((a, b) => a + b, 0)).toBeLessThanOrEqual((300 + 300 * 8) * 1.01 + 3);
    for (const admitted of perSecond.slice(2))
      expect(Math.abs(admitted - 300)).toBeLessThanOrEqual(30);
  });

  test("a burst on every node at once, before any gossip, admits about one burst", () => {
    const { clock, nodes } = cluster(3);
    const tables = nodes.map((n) => n.limiter.table(rule));
    const d = createDecision();
    let admitted = 0;
    for (let i = 0; i < 200; i++) {
      nodes.forEach((node, j) => {
        node.limiter.check(tables[j]!, key, 1, d);
        if (d.allowed) (node.limiter.commit(d), admitted++);
      });
      clock.advance(0.25);
    }
    // 50 ms elapse: burst + rate·0.05 s, plus one request per node.
    expect(admitted).toBeLessThanOrEqual(300 + 300 * 0.05 + 3);
    expect(admitted).toBeGreaterThan(0.9 * 300);
  });

  test("without gossip each node would admit the full limit: the exchange is what holds it", () => {
    const { clock, nodes } = cluster(3);
    nodes.forEach((n) => n.membership.all().forEach((m) => n.membership.left(m, clock())));
    const perSecond = drive(nodes, clock, [500, 500, 500], 4);
    expect(perSecond.slice(1).every((n) => n > 800)).toBe(true);
  });
});

describe("GossipLimiter counter series", () => {
  test("a duplicated or replayed counter body charges nothing twice", () => {
    const { clock, nodes } = cluster(2);
    const [a, b] = nodes as [SimNode, SimNode];
    const table = a.limiter.table(rule);
    b.limiter.table(rule);
    const d = createDecision();
    for (let i = 0; i < 50; i++) a.limiter.commit(a.limiter.check(table, key, 1, d));
    b.limiter.commit(b.limiter.check(b.limiter.table(rule), key, 1, d));
    const bodies = a.limiter.collect(clock());
    const member = b.membership.get("n0")!;
    for (let i = 0; i < 5; i++) for (const body of bodies) b.limiter.apply(member, body, clock());
    expect(b.limiter.stats().remoteCharged).toBe(50);
  });

  test("a restarted peer (new incarnation) is not double counted", () => {
    const { clock, nodes } = cluster(2);
    const [a, b] = nodes as [SimNode, SimNode];
    const d = createDecision();
    const take = (n: SimNode, count: number) => {
      const t = n.limiter.table(rule);
      for (let i = 0; i < count; i++) n.limiter.commit(n.limiter.check(t, key, 1, d));
    };
    take(b, 1);
    take(a, 100);
    gossip(nodes, clock());
    expect(b.limiter.stats().remoteCharged).toBe(100);

    // n0 restarts: same id, new incarnation, its own count starts again at 0.
    const restarted = createNode("n0", clock, 2_000);
    connect([restarted, b], clock());
    gossip([restarted, b], clock());
    take(restarted, 20);
    gossip([restarted, b], clock());
    expect(b.limiter.stats().remoteCharged).toBe(120);
    // The restarted node adopted b's view of the level instead of starting from a full bucket.
    expect(restarted.limiter.inspect(rule.id, key)!.level).toBeLessThan(300 - 100);
  });

  test("after a partition heals, the other side's use is charged as debt, floored at −B", () => {
    const { clock, nodes } = cluster(2);
    const [a, b] = nodes as [SimNode, SimNode];
    const d = createDecision();
    const ta = a.limiter.table(rule);
    const tb = b.limiter.table(rule);
    a.limiter.commit(a.limiter.check(ta, key, 1, d));
    b.limiter.commit(b.limiter.check(tb, key, 1, d));
    gossip(nodes, clock());
    const cut = new Set(["n0>n1", "n1>n0"]);
    drive(nodes, clock, [2000, 0], 3, (now) => gossip(nodes, now, 0, cut));
    expect(b.limiter.inspect(rule.id, key)!.level).toBeGreaterThan(250);
    gossip(nodes, clock());
    expect(b.limiter.inspect(rule.id, key)!.level).toBe(-300);
  });
});

describe("GossipLimiter partition policies", () => {
  function partitionRun(policy: string) {
    const { clock, nodes } = cluster(3, policy);
    drive(nodes, clock, [400, 400, 400], 3, (now) => gossip(nodes, now));
    // n2 is cut off and declared dead by the others (and it declares them dead).
    const cut = new Set(["n0>n2", "n1>n2", "n2>n0", "n2>n1"]);
    for (const n of nodes)
      for (const m of n.membership.all()) {
        if (n.id === "n2" || m.id === "n2") n.membership.left(m, clock());
      }
    const before = nodes.map((n) => n.admitted);
    drive(nodes, clock, [400, 400, 400], 4, (now) => gossip(nodes, now, 0, cut));
    return nodes.map((n, i) => n.admitted - before[i]!);
  }

  test("available: each side of a split admits up to the full rate", () => {
    const [a, b, c] = partitionRun("available") as [number, number, number];
    expect(a + b).toBeGreaterThan(0.9 * 300 * 4);
    expect(c).toBeGreaterThan(0.9 * 300 * 4);
    expect(a + b + c).toBeLessThanOrEqual(2 * (300 + 300 * 4));
  });

  test("conservative: the majority side keeps the dead node's share reserved", () => {
    const [a, b, c] = partitionRun("conservative") as [number, number, number];
    expect(a + b).toBeLessThan(0.8 * 300 * 4);
    expect(a + b + c).toBeLessThanOrEqual(300 + 300 * 4 + 300);
  });
});
