import type { Decision } from "./limit-rule.ts";

/** What one peer last told us about one key: its own cumulative count (a G-counter slot). */
export interface PeerSlot {
  /** The peer's boot instant; a new one starts a new counter series. */
  incarnation: number;
  /** Tokens the peer admitted for this key during that incarnation (never decreases). */
  count: number;
  /** The peer's attempt rate for the key (req/s, EWMA) when it sent, and when we got it. */
  demand: number;
  demandAt: number;
  /** The peer's view of the cluster bucket when it sent, and when we got it. */
  level: number;
  levelAt: number;
}

/** A rule's buckets inside the gossip engine. */
export interface GossipTable {
  rule: { readonly id: string; readonly ratePerSec: number; readonly burst: number };
  ratePerMs: number;
  burst: number;
  readonly keys: Map<string, GossipEntry>;
  /** Shared by new keys while the key table is full (`onMaxKeys: shared`). */
  overflow: GossipEntry | null;
}

/**
 * One key's state on this node. `level` is this node's view of the cluster-wide bucket: refilled
 * at the full rate, charged for what this node admits and for the count deltas peers report.
 * `allowance` is this node's own budget, refilled at `share × rate` and capped at
 * `share × burst`, where `share` is this node's part of the cluster's recent demand for the key.
 */
export class GossipEntry {
  /** Null while only peers have used the key; set at the first local request. */
  table: GossipTable | null = null;
  key: string | null = null;
  level = 0;
  levelAt = 0;
  allowance = Infinity;
  allowanceAt = 0;
  share = 1;
  shareAt = -Infinity;
  shareVersion = -1;
  /** Tokens this node admitted for the key in this incarnation: our own G-counter slot. */
  own = 0;
  demand = 0;
  demandAt = 0;
  /** Our demand as last sent to peers; -1 before the first send. */
  sentDemand = -1;
  lastLocalMs = 0;
  lastRemoteMs = 0;
  /** When this node first used the key. */
  enteredAt = 0;
  /** Listed in the set of keys whose counters are being gossiped. */
  active = false;
  /** Indexed by member index. */
  readonly slots: (PeerSlot | undefined)[] = [];

  constructor(
    readonly hash: Uint8Array,
    readonly hashKey: string,
  ) {}

  /** Brings `level` up to `now` at `ratePerMs`, never above the burst. */
  refill(now: number, ratePerMs: number, burst: number): number {
    const elapsed = now - this.levelAt;
    if (elapsed > 0) {
      const next = this.level + elapsed * ratePerMs;
      this.level = next < burst ? next : burst;
      this.levelAt = now;
    }
    return this.level;
  }

  /**
   * Charges consumption that happened elsewhere. The floor of −burst bounds how long a key can be
   * locked out after a partition heals or a peer's backlog arrives at once.
   */
  charge(amount: number, now: number, ratePerMs: number, burst: number): void {
    this.refill(now, ratePerMs, burst);
    this.level -= amount;
    if (this.level < -burst) this.level = -burst;
  }

  /**
   * The first local use of a key peers already know: start from the lowest level any of them
   * reported (each refilled since), not from a full bucket.
   */
  adopt(now: number, ratePerMs: number, burst: number): void {
    let level = burst;
    for (const slot of this.slots) {
      if (!slot) continue;
      const refilled = Math.min(burst, slot.level + (now - slot.levelAt) * ratePerMs);
      if (refilled < level) level = refilled;
    }
    this.level = level;
    this.levelAt = now;
  }
}

/** Fills a decision from the two budgets (cluster view and own allowance). */
export function settleGossip(
  out: Decision,
  entry: GossipEntry,
  cost: number,
  ratePerMs: number,
  burst: number,
): Decision {
  const level = entry.level;
  const allowance = entry.allowance;
  if (level >= cost && allowance >= cost) {
    out.allowed = true;
    out.remaining = Math.floor(level - cost);
    out.retryAfterMs = 0;
    out.resetMs = (burst - level + cost) / ratePerMs;
    return out;
  }
  out.allowed = false;
  out.remaining = level > 0 ? Math.floor(level) : 0;
  const forLevel = level < cost ? (cost - level) / ratePerMs : 0;
  const forAllowance = allowance < cost ? (cost - allowance) / (entry.share * ratePerMs) : 0;
  out.retryAfterMs = forLevel > forAllowance ? forLevel : forAllowance;
  out.resetMs = (burst - level) / ratePerMs;
  return out;
}
