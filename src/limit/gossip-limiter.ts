import type { CounterExchange, GossipCluster } from "../cluster/cluster.ts";
import { keyHashLength } from "../cluster/keyring.ts";
import type { Member, Membership } from "../cluster/members.ts";
import { monotonicClock, type Clock } from "./clock.ts";
import {
  CounterBodyWriter,
  hashKeyOf,
  readCounterBody,
  type CounterEntry,
} from "./counter-wire.ts";
import { computeShare, demandTauMs } from "./demand-share.ts";
import { GossipEntry, settleGossip, type GossipTable } from "./gossip-entry.ts";
import type { Decision, LimitRule } from "./limit-rule.ts";
import type { KeyTableOptions, LimiterStats, LimitTable, RateLimiter } from "./rate-limiter.ts";

/** A key's counters are gossiped for this long after its last local request. */
const activeWindowMs = 3_000;
const sweepBudget = 20_000;

export interface GossipLimiterStats extends LimiterStats {
  activeKeys: number;
  entriesSent: number;
  entriesApplied: number;
  /** Tokens charged to local buckets for consumption reported by peers. */
  remoteCharged: number;
  /** Peer entries ignored because the key table was full. */
  remoteDropped: number;
}

/**
 * Token buckets kept in step across the cluster (BUN-NOTES §2.3). Each node decides alone, in
 * process, from two budgets: its view of the cluster bucket (charged for peers' reported
 * consumption) and its own allowance, a demand-weighted share of the rate and burst. Every
 * gossip round it sends, per active key, its cumulative admitted count (a G-counter slot: loss,
 * duplication and reordering do no harm), its demand, and its view of the level.
 */
export class GossipLimiter implements RateLimiter, CounterExchange {
  readonly engine = "gossip" as const;
  private readonly tables = new Map<string, GossipTable>();
  private readonly byHash = new Map<string, GossipEntry>();
  private readonly active = new Set<GossipEntry>();
  private readonly membership: Membership;
  private readonly counters: GossipLimiterStats = {
    engine: "gossip",
    liveKeys: 0,
    keysCreated: 0,
    keysEvicted: 0,
    overflowShared: 0,
    overflowDenied: 0,
    overflowAllowed: 0,
    activeKeys: 0,
    entriesSent: 0,
    entriesApplied: 0,
    remoteCharged: 0,
    remoteDropped: 0,
  };
  private sweepCursor: MapIterator<GossipEntry> | null = null;
  private timer: ReturnType<typeof setInterval> | null = null;

  constructor(
    private readonly cluster: GossipCluster,
    private options: KeyTableOptions,
    private readonly clock: Clock = monotonicClock,
  ) {
    this.membership = cluster.membership;
    cluster.attachCounters(this);
    this.timer = setInterval(() => this.sweep(sweepBudget), 1_000);
    this.timer.unref();
  }

  table(rule: LimitRule): LimitTable {
    const existing = this.tables.get(rule.id);
    const ratePerMs = rule.ratePerSec / 1000;
    if (existing) {
      Object.assign(existing, { rule, ratePerMs, burst: rule.burst });
      return existing;
    }
    const table: GossipTable = {
      rule,
      ratePerMs,
      burst: rule.burst,
      keys: new Map(),
      overflow: null,
    };
    this.tables.set(rule.id, table);
    return table;
  }

  check(table: LimitTable, key: string, cost: number, out: Decision): Decision {
    const t = table as GossipTable;
    const now = this.clock();
    out.overflow = false;
    out.cost = cost;
    let entry = t.keys.get(key) ?? this.enter(t, key, now);
    if (!entry) {
      out.overflow = true;
      if (this.options.onMaxKeys === "shared") entry = this.overflowEntry(t, now);
      else return this.refuseOrWave(t, cost, out);
    }
    this.refresh(entry, t, now, cost);
    out.entry = entry;
    out.slot = 0;
    return settleGossip(out, entry, cost, t.ratePerMs, t.burst);
  }

  commit(decision: Decision): void {
    if (!decision.allowed || decision.slot < 0) return;
    const entry = decision.entry as GossipEntry;
    entry.level -= decision.cost;
    entry.allowance -= decision.cost;
    entry.own += decision.cost;
  }

  configure(options: KeyTableOptions): void {
    this.options = options;
  }

  stats(): GossipLimiterStats {
    return { ...this.counters, activeKeys: this.active.size };
  }

  close(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
  }

  /** This node's state for one key, for the admin listener and the cluster tests. */
  inspect(ruleId: string, key: string) {
    const entry = this.tables.get(ruleId)?.keys.get(key);
    if (!entry) return null;
    const peers = this.membership.all().flatMap((m) => {
      const slot = entry.slots[m.index];
      if (!slot) return [];
      const { incarnation, count, demand } = slot;
      return [{ peer: m.id, incarnation, count, demand }];
    });
    const { level, allowance, share, own } = entry;
    return { level, allowance, share, own, peers };
  }

  collect(now: number): Uint8Array[] {
    const writer = new CounterBodyWriter();
    for (const entry of this.active) {
      if (now - entry.lastLocalMs > activeWindowMs) {
        entry.active = false;
        this.active.delete(entry);
        continue;
      }
      const t = entry.table!;
      const demand = entry.demand * Math.exp((entry.demandAt - now) / demandTauMs);
      entry.sentDemand = demand;
      writer.add(entry.hash, entry.own, demand, entry.refill(now, t.ratePerMs, t.burst));
      this.counters.entriesSent++;
    }
    return writer.finish();
  }

  apply(member: Member, body: Uint8Array, now: number): void {
    readCounterBody(body, (wire) => this.applyEntry(member, wire, now));
  }

  /**
   * Drops keys nobody used for `idleEvictMs` whose bucket has refilled: exact, since a full
   * bucket and a missing one decide alike. Looks at no more than `budget` entries per run.
   */
  sweep(budget: number): number {
    const now = this.clock();
    let dropped = 0;
    this.sweepCursor ??= this.byHash.values();
    for (let seen = 0; seen < budget; seen++) {
      const next = this.sweepCursor.next();
      if (next.done) {
        this.sweepCursor = null;
        break;
      }
      if (this.evictable(next.value, now)) {
        this.forget(next.value);
        dropped++;
      }
    }
    this.counters.keysEvicted += dropped;
    return dropped;
  }

  private applyEntry(member: Member, wire: CounterEntry, now: number): void {
    let entry = this.byHash.get(wire.hashKey);
    if (!entry) {
      if (this.counters.liveKeys >= this.options.maxKeys) return void this.counters.remoteDropped++;
      const hash = wire.body.slice(wire.hashAt, wire.hashAt + keyHashLength);
      entry = this.remember(hash, wire.hashKey);
    }
    this.counters.entriesApplied++;
    entry.lastRemoteMs = now;
    const slot = entry.slots[member.index];
    const t = entry.table;
    if (!slot || member.incarnation > slot.incarnation) {
      // A series we have not seen (new key there, new peer, or the peer restarted). Charge what
      // its own report says is still unrefilled, not the whole history: B − its level bounds it.
      if (t) {
        const unrefilled = Math.max(0, t.burst - wire.level);
        this.chargeRemote(entry, t, Math.min(wire.count, unrefilled), now);
      }
      entry.slots[member.index] = {
        incarnation: member.incarnation,
        count: wire.count,
        demand: wire.demand,
        demandAt: now,
        level: wire.level,
        levelAt: now,
      };
      return;
    }
    if (member.incarnation < slot.incarnation) return;
    const delta = wire.count - slot.count;
    if (delta > 0) {
      if (t) this.chargeRemote(entry, t, delta, now);
      slot.count = wire.count;
    }
    slot.demand = wire.demand;
    slot.demandAt = now;
    slot.level = wire.level;
    slot.levelAt = now;
  }

  private chargeRemote(entry: GossipEntry, t: GossipTable, amount: number, now: number): void {
    if (amount <= 0) return;
    entry.charge(amount, now, t.ratePerMs, t.burst);
    this.counters.remoteCharged += amount;
  }

  /** Refills both budgets, records the attempt in the demand estimate, refreshes the share. */
  private refresh(entry: GossipEntry, t: GossipTable, now: number, cost: number): void {
    entry.refill(now, t.ratePerMs, t.burst);
    const decay = Math.exp((entry.demandAt - now) / demandTauMs);
    entry.demand = entry.demand * decay + (cost * 1000) / demandTauMs;
    entry.demandAt = now;
    entry.lastLocalMs = now;
    if (!entry.active) {
      entry.active = true;
      this.active.add(entry);
    }
    const stale = now - entry.shareAt >= this.cluster.gossipIntervalMs;
    if (stale || entry.shareVersion !== this.membership.version) {
      const before = entry.share;
      const fresh = this.computeShare(entry, t, now);
      // A share that grows takes over its part of what is left in the bucket at once (one that
      // shrinks gives it up), so a burst is served where the demand is. Only from a view every
      // peer refreshed in the last round: stale views disagree, and the grants could add up.
      if (fresh && entry.allowance !== Infinity) {
        entry.allowance += (entry.share - before) * Math.max(0, entry.level);
      }
    }
    const cap = Math.min(t.burst, Math.max(entry.share * t.burst, cost));
    const refilled = entry.allowance + (now - entry.allowanceAt) * entry.share * t.ratePerMs;
    entry.allowance = refilled < cap ? refilled : cap;
    entry.allowanceAt = now;
  }

  private computeShare(entry: GossipEntry, t: GossipTable, now: number): boolean {
    entry.shareAt = now;
    entry.shareVersion = this.membership.version;
    const interval = this.cluster.gossipIntervalMs;
    return computeShare(entry, this.membership, t.rule.ratePerSec, interval, now);
  }

  /** First local use of a key: a new entry, or one peers already reported (adopt their level). */
  private enter(t: GossipTable, key: string, now: number): GossipEntry | null {
    const hash = this.cluster.hashKeyName(t.rule.id, key);
    const hashKey = hashKeyOf(hash);
    let entry = this.byHash.get(hashKey);
    if (!entry) {
      if (this.counters.liveKeys >= this.options.maxKeys) return null;
      entry = this.remember(hash, hashKey);
      entry.level = t.burst;
      entry.levelAt = now;
    } else {
      entry.adopt(now, t.ratePerMs, t.burst);
    }
    entry.table = t;
    entry.key = key;
    entry.allowanceAt = now;
    entry.enteredAt = now;
    t.keys.set(key, entry);
    return entry;
  }

  private remember(hash: Uint8Array, hashKey: string): GossipEntry {
    const entry = new GossipEntry(hash, hashKey);
    this.byHash.set(hashKey, entry);
    this.counters.liveKeys++;
    this.counters.keysCreated++;
    return entry;
  }

  private overflowEntry(t: GossipTable, now: number): GossipEntry {
    this.counters.overflowShared++;
    if (t.overflow) return t.overflow;
    const hash = this.cluster.hashKeyName(t.rule.id, "\0overflow");
    const entry = new GossipEntry(hash, hashKeyOf(hash));
    Object.assign(entry, { table: t, level: t.burst, levelAt: now, allowanceAt: now });
    this.byHash.set(entry.hashKey, entry);
    t.overflow = entry;
    return entry;
  }

  private refuseOrWave(t: GossipTable, cost: number, out: Decision): Decision {
    out.slot = -1;
    out.entry = null;
    if (this.options.onMaxKeys === "allow") {
      this.counters.overflowAllowed++;
      Object.assign(out, { allowed: true, remaining: t.burst - cost, retryAfterMs: 0, resetMs: 0 });
      return out;
    }
    this.counters.overflowDenied++;
    return Object.assign(out, { allowed: false, remaining: 0, retryAfterMs: 1000, resetMs: 1000 });
  }

  private evictable(entry: GossipEntry, now: number): boolean {
    if (entry.active || entry.table?.overflow === entry) return false;
    const lastUse = entry.lastLocalMs > entry.lastRemoteMs ? entry.lastLocalMs : entry.lastRemoteMs;
    if (now - lastUse < this.options.idleEvictMs) return false;
    const t = entry.table;
    return !t || entry.refill(now, t.ratePerMs, t.burst) >= t.burst;
  }

  private forget(entry: GossipEntry): void {
    this.byHash.delete(entry.hashKey);
    if (entry.table && entry.key !== null) entry.table.keys.delete(entry.key);
    this.counters.liveKeys--;
  }
}
