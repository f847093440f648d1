import type { Membership } from "../cluster/members.ts";
import type { GossipEntry } from "./gossip-entry.ts";

/** Demand is an exponentially weighted attempt rate with this time constant (BUN-NOTES §2.3). */
export const demandTauMs = 1_000;
/** Share of the rate every counted node keeps even when idle, so it can admit at once. */
const idleShare = 0.05;

/**
 * Sets `entry.share`, this node's part of a key's limit:
 *
 *   share = (own demand + ε) / (Σ counted demand + n·ε),  ε = 5 % of rate / n.
 *
 * Every node computes it from the same gossiped demands, so the shares sum to about 1 and the
 * cluster admits about burst + rate·t however unevenly the load is spread. Returns whether every
 * peer's demand was refreshed within the last round (a view consistent enough to hand over
 * allowance at once when the share changes).
 */
export function computeShare(
  entry: GossipEntry,
  membership: Membership,
  ratePerSec: number,
  intervalMs: number,
  now: number,
): boolean {
  const counted = membership.counted();
  if (counted.length === 0) {
    entry.share = 1;
    return true;
  }
  const n = counted.length + 1;
  const epsilon = (idleShare * ratePerSec) / n;
  // A peer that has not reported a key we just started using may simply not have been heard
  // yet: in a burst hitting every node at once, assuming it idle would let each node take the
  // whole burst. For the first rounds such a peer counts as busy as we are (share 1/n).
  const young = now - entry.enteredAt < 3 * intervalMs;
  // Our demand as peers last saw it, not as it is now: every node then divides by the same
  // numbers and the shares sum to 1 even while demand is ramping (BUN-NOTES §2.4, lesson 2).
  const own = entry.sentDemand >= 0 ? entry.sentDemand : entry.demand;
  let sum = own;
  let fresh = true;
  for (const member of counted) {
    const slot = entry.slots[member.index];
    if (!slot || slot.incarnation !== member.incarnation) {
      // Once the key is older than a few rounds, a peer that never reported it is idle.
      if (young) {
        sum += own;
        fresh = false;
      }
      continue;
    }
    if (now - slot.demandAt > 1.5 * intervalMs) fresh = false;
    // Conservative partitions keep a dead peer's last demand (its share stays reserved).
    const reserved = membership.reservedOnly(member);
    sum += reserved ? slot.demand : slot.demand * staleness(slot.demandAt, now, intervalMs);
  }
  entry.share = (own + epsilon) / (sum + n * epsilon);
  return fresh;
}

/**
 * A peer's reported demand is taken as is while a few gossip rounds could still be in flight
 * (a lost datagram must not shrink it and inflate our share), then decays like our own.
 */
function staleness(receivedAt: number, now: number, intervalMs: number): number {
  const age = now - receivedAt - 3 * intervalMs;
  return age <= 0 ? 1 : Math.exp(-age / demandTauMs);
}
