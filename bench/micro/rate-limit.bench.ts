/**
 * What one rate-limit decision costs in process: check + commit on a hot key and across many
 * distinct keys (flat as keys grow: 1,000 → 1,000,000), for the local engine and the gossip
 * engine (3 known members, no sockets: the request path never touches the network). Baseline in
 * the same run: a bare `Map.get` of the key, the least any keyed limiter must do. The last case
 * is a whole limit check as the request path runs it: two limits, RateLimit headers included.
 *
 *   bun bench/micro/rate-limit.bench.ts
 */
import { Keyring } from "../../src/cluster/keyring.ts";
import { Membership } from "../../src/cluster/members.ts";
import type { GossipCluster } from "../../src/cluster/cluster.ts";
import { compileLimit } from "../../src/checks/limit/compile-limits.ts";
import { createLimitEvaluator } from "../../src/checks/limit/evaluate-limits.ts";
import { GossipLimiter } from "../../src/limit/gossip-limiter.ts";
import { createDecision } from "../../src/limit/limit-rule.ts";
import { LocalLimiter } from "../../src/limit/local-limiter.ts";
import type { RateLimiter } from "../../src/limit/rate-limiter.ts";
import type { RequestContext } from "../../src/server/context.ts";
import { do_not_optimize, runMicro } from "./harness.ts";

const million = 1_000_000;
const options = { maxKeys: 2 * million, onMaxKeys: "shared" as const, idleEvictMs: 3_600_000 };
// A rate no benchmark loop can exhaust, so every case measures the admitting path.
const rule = { id: "route:bench:per-key", ratePerSec: 1e12, burst: 1e12 };
const keys = Array.from(
  { length: million },
  (_, i) => `10.${(i >> 16) & 255}.${(i >> 8) & 255}.${i & 255}`,
);

function gossipLimiter(): GossipLimiter {
  const membership = new Membership("n0", {
    suspectTimeoutMs: 3_000,
    partitionPolicy: "available",
    conservativeGraceMs: 0,
  });
  membership.heard("n1", "127.0.0.1", 1, 1, performance.now());
  membership.heard("n2", "127.0.0.1", 2, 1, performance.now());
  const keyring = new Keyring(["bench-cluster-key-0123456789abcdef"]);
  const cluster = {
    membership,
    gossipIntervalMs: 100,
    attachCounters: () => {},
    hashKeyName: (ruleId: string, key: string) => keyring.hashKeyName(ruleId, key),
  };
  const limiter = new GossipLimiter(cluster as unknown as GossipCluster, options);
  limiter.close();
  return limiter;
}

function taker(limiter: RateLimiter, keyCount: number) {
  const table = limiter.table(rule);
  const decision = createDecision();
  for (let i = 0; i < keyCount; i++) limiter.commit(limiter.check(table, keys[i]!, 1, decision));
  let next = 0;
  return () => {
    const key = keys[next]!;
    next = next + 1 === keyCount ? 0 : next + 1;
    limiter.check(table, key, 1, decision);
    if (decision.allowed) limiter.commit(decision);
    return decision.remaining;
  };
}

function requestCheck(limiter: RateLimiter) {
  const perIp = compileLimit(
    "route:bench",
    { id: "per-ip", rate: 1e9, per: "1s", cost: 1, mode: "enforce" },
    "client-address",
    limiter,
  );
  const perConsumer = compileLimit(
    "route:bench",
    { id: "per-consumer", ratePerSec: 1e9, cost: 1, mode: "enforce" },
    "consumer",
    limiter,
  );
  const check = createLimitEvaluator(
    limiter,
    [
      { limit: perIp, fixedKey: null },
      { limit: perConsumer, fixedKey: null },
    ],
    { headers: true, legacyHeaders: false, consumers: null, tenants: null },
  );
  const identity = {
    subject: "partner-7",
    kind: "api-key",
    credentialId: "k1",
    tenant: null,
    roles: [],
    scopes: [],
    actorChain: [],
    issuer: null,
  } as const;
  return () => {
    const ctx = {
      clientAddress: "10.0.3.7",
      identity,
      responseHeaders: null,
      limitOutcome: null,
      reportOnly: null,
    } as unknown as RequestContext;
    return check(ctx);
  };
}

await runMicro("rate limit: check + commit", (bench) => {
  const map = new Map(keys.slice(0, 1000).map((k, i) => [k, i]));
  bench("baseline: Map.get of a hot key", () => do_not_optimize(map.get(keys[7]!)));
  const local = new LocalLimiter(options, undefined, null);
  bench("local: hot key", taker(local, 1));
  bench("local: 1000 keys", taker(local, 1_000));
  bench("local: 1000000 keys", taker(new LocalLimiter(options, undefined, null), million));
  const gossip = gossipLimiter();
  bench("gossip: hot key", taker(gossip, 1));
  bench("gossip: 1000 keys", taker(gossip, 1_000));
  bench("gossip: 1000000 keys", taker(gossipLimiter(), million));
  bench(
    "request check: 2 limits + headers (local)",
    requestCheck(new LocalLimiter(options, undefined, null)),
  );
});
