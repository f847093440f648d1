import type { Decision, LimitRule } from "./limit-rule.ts";

/** A rule's set of buckets inside an engine. Opaque to callers. */
export interface LimitTable {
  readonly rule: LimitRule;
}

/** How the key table is bounded; changeable on reload. */
export interface KeyTableOptions {
  /** Most live buckets across all rules. */
  readonly maxKeys: number;
  /** What a new key gets while the table is full. */
  readonly onMaxKeys: "shared" | "deny" | "allow";
  /** A bucket idle this long (and full again) is dropped. */
  readonly idleEvictMs: number;
}

/** Counters every engine keeps; exposed on the admin listener. */
export interface LimiterStats {
  engine: string;
  liveKeys: number;
  keysCreated: number;
  keysEvicted: number;
  /** New keys that found the table full, by what they got. */
  overflowShared: number;
  overflowDenied: number;
  overflowAllowed: number;
}

/**
 * The one seam between limit checks and whatever keeps the buckets. A request is decided in two
 * synchronous steps so that several limits can be checked before any of them is charged:
 * `check` every limit, and only if all pass, `commit` each decision.
 *
 * The interface is synchronous on purpose: a check must not cost a microtask, let alone a network
 * round trip. A shared-store engine (Redis/Valkey) fits behind it the way the gossip engine does,
 * by leasing a local allowance and settling with the store in the background.
 */
export interface RateLimiter {
  readonly engine: "local" | "gossip";
  /** The table of a rule, created on first use; a reload with new settings updates it in place. */
  table(rule: LimitRule): LimitTable;
  /** Fills `out` with the decision for `cost` tokens of `key`; charges nothing. */
  check(table: LimitTable, key: string, cost: number, out: Decision): Decision;
  /** Charges a decision `check` just allowed (same tick; nothing may run in between). */
  commit(decision: Decision): void;
  configure(options: KeyTableOptions): void;
  stats(): LimiterStats;
  close(): void;
}
