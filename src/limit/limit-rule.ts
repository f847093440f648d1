/** One limit as the limiter engines see it: a token bucket's refill rate and capacity. */
export interface LimitRule {
  /** Unique across the config (`route:<route>:<limit>`, `global:<limit>`, ...). */
  readonly id: string;
  /** Tokens added per second. */
  readonly ratePerSec: number;
  /** Bucket capacity, and the level a new bucket starts at. */
  readonly burst: number;
}

/**
 * The answer of one bucket check. Engines fill a caller-owned object instead of returning a new
 * one, so a check on a known key allocates nothing.
 */
export interface Decision {
  allowed: boolean;
  /** Whole tokens left once this request is counted (allowed) or left now (refused). */
  remaining: number;
  /** When refused: how long until a request of this cost could pass. */
  retryAfterMs: number;
  /** How long until the bucket is full again once this request is counted. */
  resetMs: number;
  /** The key could not get a bucket of its own because the key table is full. */
  overflow: boolean;
  /** Engine-private: what `commit` charges, so it needs no second lookup. */
  cost: number;
  slot: number;
  entry: unknown;
  table: unknown;
}

export function createDecision(): Decision {
  return {
    allowed: false,
    remaining: 0,
    retryAfterMs: 0,
    resetMs: 0,
    overflow: false,
    cost: 0,
    slot: -1,
    entry: null,
    table: null,
  };
}
