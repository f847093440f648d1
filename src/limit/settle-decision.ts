import type { Decision } from "./limit-rule.ts";

/**
 * Fills the client-facing numbers of a decision from a bucket level. `admitRatePerMs` is the
 * rate at which the constraining budget refills (the bucket itself, or a node's share of it).
 */
export function settleDecision(
  out: Decision,
  level: number,
  cost: number,
  burst: number,
  ratePerMs: number,
  admitRatePerMs: number,
): Decision {
  if (level >= cost) {
    out.allowed = true;
    out.remaining = Math.floor(level - cost);
    out.retryAfterMs = 0;
    out.resetMs = (burst - level + cost) / ratePerMs;
    return out;
  }
  out.allowed = false;
  out.remaining = level > 0 ? Math.floor(level) : 0;
  out.retryAfterMs = (cost - level) / admitRatePerMs;
  out.resetMs = (burst - level) / ratePerMs;
  return out;
}
