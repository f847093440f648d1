import { describe, expect, test } from "bun:test";
import { createManualClock } from "../../src/limit/clock.ts";
import { createDecision } from "../../src/limit/limit-rule.ts";
import { LocalLimiter } from "../../src/limit/local-limiter.ts";
import type { KeyTableOptions } from "../../src/limit/rate-limiter.ts";

const roomy: KeyTableOptions = { maxKeys: 1_000, onMaxKeys: "shared", idleEvictMs: 10_000 };

function setup(options: KeyTableOptions = roomy) {
  const clock = createManualClock(1_000);
  const limiter = new LocalLimiter(options, clock, null);
  const rule = { id: "route:r:per-ip", ratePerSec: 2, burst: 4 };
  const table = limiter.table(rule);
  const decision = createDecision();
  const take = (key: string, cost = 1) => {
    limiter.check(table, key, cost, decision);
    if (decision.allowed) limiter.commit(decision);
    return decision.allowed;
  };
  return { clock, limiter, table, decision, take };
}

describe("LocalLimiter token bucket", () => {
  test("admits the burst at once, then refuses until tokens refill", () => {
    const { take, decision, clock } = setup();
    expect([take("a"), take("a"), take("a"), take("a")]).toEqual([true, true, true, true]);
    expect(take("a")).toBe(false);
    // 2 tokens/s: one token after 500 ms.
    expect(decision.retryAfterMs).toBeCloseTo(500, 6);
    clock.advance(499);
    expect(take("a")).toBe(false);
    clock.advance(1);
    expect(take("a")).toBe(true);
    expect(take("a")).toBe(false);
  });

  test("never refills above the burst however long the key was idle", () => {
    const { take, clock } = setup();
    take("a");
    clock.advance(3_600_000);
    const admitted = Array.from({ length: 10 }, () => take("a")).filter(Boolean).length;
    expect(admitted).toBe(4);
  });

  test("reports remaining tokens after the request and time until full", () => {
    const { limiter, table, decision } = setup();
    limiter.check(table, "a", 1, decision);
    expect(decision.allowed).toBe(true);
    expect(decision.remaining).toBe(3);
    expect(decision.resetMs).toBeCloseTo(500, 6);
  });

  test("a check that is not committed consumes nothing", () => {
    const { limiter, table, decision, take } = setup();
    for (let i = 0; i < 10; i++) limiter.check(table, "a", 1, decision);
    expect(Array.from({ length: 5 }, () => take("a"))).toEqual([true, true, true, true, false]);
  });

  test("a refused request consumes nothing: a client retrying early is not pushed back", () => {
    const { take, clock } = setup();
    for (let i = 0; i < 4; i++) take("a");
    for (let i = 0; i < 50; i++) expect(take("a")).toBe(false);
    clock.advance(500);
    expect(take("a")).toBe(true);
  });

  test("a request costing more than one token needs that many", () => {
    const { take, decision } = setup();
    expect(take("a", 3)).toBe(true);
    expect(take("a", 3)).toBe(false);
    expect(decision.remaining).toBe(1);
    expect(decision.retryAfterMs).toBeCloseTo(1_000, 6);
  });

  test("keys and rules have separate buckets", () => {
    const { limiter, take, decision } = setup();
    for (let i = 0; i < 4; i++) take("a");
    expect(take("a")).toBe(false);
    expect(take("b")).toBe(true);
    const other = limiter.table({ id: "route:other:per-ip", ratePerSec: 2, burst: 4 });
    limiter.check(other, "a", 1, decision);
    expect(decision.allowed).toBe(true);
  });

  test("in any window of length T at most burst + rate·T requests pass", () => {
    const { take, clock } = setup();
    const admittedAt: number[] = [];
    for (let t = 0; t < 20_000; t += 37) {
      clock.set(1_000 + t);
      if (take("a")) admittedAt.push(t);
    }
    for (const start of admittedAt) {
      for (const windowMs of [100, 1_000, 5_000]) {
        const inWindow = admittedAt.filter((t) => t >= start && t < start + windowMs).length;
        expect(inWindow).toBeLessThanOrEqual(4 + (2 * windowMs) / 1000 + 1e-9);
      }
    }
  });

  test("a reload with new settings updates the bucket in place", () => {
    const { limiter, take } = setup();
    for (let i = 0; i < 4; i++) take("a");
    limiter.table({ id: "route:r:per-ip", ratePerSec: 2, burst: 10 });
    expect(take("a")).toBe(false);
  });
});

describe("LocalLimiter key table", () => {
  test("evicts a bucket only once it is idle and full again", () => {
    const { limiter, take, clock } = setup();
    for (let i = 0; i < 4; i++) take("a");
    take("b");
    clock.advance(10_000);
    // Both idle 10 s; 4 tokens at 2/s take 2 s, so both are full: both go.
    expect(limiter.sweep(100)).toBe(2);
    expect(limiter.stats().liveKeys).toBe(0);
    expect(limiter.stats().keysEvicted).toBe(2);
  });

  test("eviction is exact: a bucket still refilling is kept", () => {
    const clock = createManualClock(0);
    const limiter = new LocalLimiter({ ...roomy, idleEvictMs: 1_000 }, clock, null);
    const table = limiter.table({ id: "slow", ratePerSec: 0.1, burst: 5 });
    const d = createDecision();
    for (let i = 0; i < 5; i++) limiter.commit(limiter.check(table, "k", 1, d));
    clock.advance(2_000);
    expect(limiter.sweep(100)).toBe(0);
    limiter.check(table, "k", 1, d);
    expect(d.allowed).toBe(false);
    clock.advance(50_000);
    expect(limiter.sweep(100)).toBe(1);
  });

  test("the sweep honours its budget and resumes where it stopped", () => {
    const { limiter, take, clock } = setup();
    for (let i = 0; i < 25; i++) take(`k${i}`);
    clock.advance(20_000);
    expect(limiter.sweep(10)).toBe(10);
    expect(limiter.sweep(10)).toBe(10);
    expect(limiter.sweep(10)).toBe(5);
    expect(limiter.stats().liveKeys).toBe(0);
  });

  test("at the key cap new keys share one counted overflow bucket; known keys unaffected", () => {
    const { take, limiter } = setup({ ...roomy, maxKeys: 3 });
    for (const key of ["a", "b", "c"]) take(key);
    const sprayed = Array.from({ length: 20 }, (_, i) => take(`spray-${i}`));
    expect(sprayed.filter(Boolean).length).toBe(4);
    expect(limiter.stats().overflowShared).toBe(20);
    expect(limiter.stats().liveKeys).toBe(3);
    expect(take("a")).toBe(true);
  });

  test("at the key cap with onMaxKeys deny, new keys are refused and counted", () => {
    const { take, limiter, decision } = setup({ ...roomy, maxKeys: 2, onMaxKeys: "deny" });
    take("a");
    take("b");
    expect(take("c")).toBe(false);
    expect(decision.overflow).toBe(true);
    expect(limiter.stats().overflowDenied).toBe(1);
    expect(take("a")).toBe(true);
  });

  test("at the key cap with onMaxKeys allow, new keys pass untracked and are counted", () => {
    const { take, limiter } = setup({ ...roomy, maxKeys: 1, onMaxKeys: "allow" });
    take("a");
    expect(Array.from({ length: 10 }, () => take("z")).every(Boolean)).toBe(true);
    expect(limiter.stats().overflowAllowed).toBe(10);
    expect(limiter.stats().liveKeys).toBe(1);
  });

  test("evicted keys free room for new ones", () => {
    const { take, limiter, clock } = setup({ ...roomy, maxKeys: 2 });
    take("a");
    take("b");
    clock.advance(20_000);
    limiter.sweep(100);
    take("c");
    expect(limiter.stats().overflowShared).toBe(0);
    expect(limiter.stats().liveKeys).toBe(1);
  });
});
