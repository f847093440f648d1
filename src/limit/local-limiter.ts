import { BucketSlab, refilled } from "./bucket-slab.ts";
import { monotonicClock, type Clock } from "./clock.ts";
import type { Decision, LimitRule } from "./limit-rule.ts";
import type { KeyTableOptions, LimiterStats, LimitTable, RateLimiter } from "./rate-limiter.ts";
import { settleDecision } from "./settle-decision.ts";

interface LocalTable extends LimitTable {
  rule: LimitRule;
  ratePerMs: number;
  burst: number;
  readonly keys: Map<string, number>;
  /** The bucket every new key shares while the key table is full (`onMaxKeys: shared`). */
  readonly overflowSlot: number;
  sweep: MapIterator<[string, number]> | null;
}

/** Entries the background sweep looks at per run, so a million keys never stall a request. */
const sweepBudget = 50_000;

/**
 * Token buckets for one process. O(1) per check: one Map lookup, arithmetic on two typed arrays,
 * no allocation for a known key. Memory is bounded by `maxKeys`; idle buckets that have refilled
 * completely are dropped, which is exact (a full bucket and a missing one behave the same).
 */
export class LocalLimiter implements RateLimiter {
  readonly engine = "local" as const;
  private readonly tables = new Map<string, LocalTable>();
  private readonly slab = new BucketSlab();
  private readonly counters: LimiterStats = {
    engine: "local",
    liveKeys: 0,
    keysCreated: 0,
    keysEvicted: 0,
    overflowShared: 0,
    overflowDenied: 0,
    overflowAllowed: 0,
  };
  private options: KeyTableOptions;
  private timer: ReturnType<typeof setInterval> | null = null;
  private sweepOrder: LocalTable[] = [];
  private sweepIndex = 0;

  constructor(
    options: KeyTableOptions,
    private readonly clock: Clock = monotonicClock,
    sweepEveryMs: number | null = 1_000,
  ) {
    this.options = options;
    if (sweepEveryMs !== null) {
      this.timer = setInterval(() => this.sweep(sweepBudget), sweepEveryMs);
      this.timer.unref();
    }
  }

  table(rule: LimitRule): LimitTable {
    const existing = this.tables.get(rule.id);
    if (existing) {
      existing.rule = rule;
      existing.ratePerMs = rule.ratePerSec / 1000;
      existing.burst = rule.burst;
      return existing;
    }
    const table: LocalTable = {
      rule,
      ratePerMs: rule.ratePerSec / 1000,
      burst: rule.burst,
      keys: new Map(),
      overflowSlot: this.slab.alloc(rule.burst, this.clock()),
      sweep: null,
    };
    this.tables.set(rule.id, table);
    this.sweepOrder.push(table);
    return table;
  }

  check(table: LimitTable, key: string, cost: number, out: Decision): Decision {
    const t = table as LocalTable;
    const now = this.clock();
    out.overflow = false;
    out.cost = cost;
    out.table = t;
    let slot = t.keys.get(key);
    if (slot === undefined) {
      if (this.counters.liveKeys >= this.options.maxKeys) return this.overflow(t, now, cost, out);
      slot = this.slab.alloc(t.burst, now);
      t.keys.set(key, slot);
      this.counters.liveKeys++;
      this.counters.keysCreated++;
    }
    return this.decide(t, slot, now, cost, out);
  }

  commit(decision: Decision): void {
    if (decision.allowed && decision.slot >= 0) this.slab.level[decision.slot]! -= decision.cost;
  }

  configure(options: KeyTableOptions): void {
    this.options = options;
  }

  stats(): LimiterStats {
    return { ...this.counters };
  }

  close(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
  }

  /**
   * Drops buckets idle for `idleEvictMs` whose level has refilled to the burst. Looks at no more
   * than `budget` entries, resuming where the previous run stopped. Returns how many it dropped.
   */
  sweep(budget: number): number {
    const now = this.clock();
    let seen = 0;
    let dropped = 0;
    for (let n = 0; n < this.sweepOrder.length && seen < budget; n++) {
      const table = this.sweepOrder[this.sweepIndex % this.sweepOrder.length]!;
      table.sweep ??= table.keys.entries();
      for (;;) {
        if (seen >= budget) return this.noteDropped(dropped);
        const next = table.sweep.next();
        if (next.done) break;
        seen++;
        if (this.idleAndFull(table, next.value[1], now)) {
          table.keys.delete(next.value[0]);
          this.slab.release(next.value[1]);
          dropped++;
        }
      }
      table.sweep = null;
      this.sweepIndex++;
    }
    return this.noteDropped(dropped);
  }

  private noteDropped(dropped: number): number {
    this.counters.liveKeys -= dropped;
    this.counters.keysEvicted += dropped;
    return dropped;
  }

  private idleAndFull(table: LocalTable, slot: number, now: number): boolean {
    const stamp = this.slab.stamp[slot]!;
    if (now - stamp < this.options.idleEvictMs) return false;
    const level = refilled(this.slab.level[slot]!, stamp, now, table.ratePerMs, table.burst);
    return level >= table.burst;
  }

  private decide(t: LocalTable, slot: number, now: number, cost: number, out: Decision) {
    const slab = this.slab;
    const level = refilled(slab.level[slot]!, slab.stamp[slot]!, now, t.ratePerMs, t.burst);
    this.slab.level[slot] = level;
    this.slab.stamp[slot] = now;
    out.slot = slot;
    return settleDecision(out, level, cost, t.burst, t.ratePerMs, t.ratePerMs);
  }

  /** A new key while the table is full: one of three configured, counted behaviours. */
  private overflow(t: LocalTable, now: number, cost: number, out: Decision): Decision {
    out.overflow = true;
    if (this.options.onMaxKeys === "shared") {
      this.counters.overflowShared++;
      return this.decide(t, t.overflowSlot, now, cost, out);
    }
    out.slot = -1;
    if (this.options.onMaxKeys === "allow") {
      this.counters.overflowAllowed++;
      return settleDecision(out, t.burst, cost, t.burst, t.ratePerMs, t.ratePerMs);
    }
    this.counters.overflowDenied++;
    out.allowed = false;
    out.remaining = 0;
    // Room appears only when idle buckets are swept; a second is an honest guess for a client.
    out.retryAfterMs = 1000;
    out.resetMs = 1000;
    return out;
  }
}
