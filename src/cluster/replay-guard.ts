import type { FrameHeader } from "./codec.ts";

export type Freshness = "fresh" | "replayed" | "stale";

interface SenderMark {
  incarnation: number;
  seq: number;
}

/** Senders remembered at most; a cluster is far smaller, so this only bounds a flood of names. */
const maxSenders = 4_096;

/**
 * Accepts each authenticated datagram once. Per sender it remembers the newest incarnation and
 * the highest sequence number: an equal or lower number in the same incarnation is a replay, an
 * older incarnation or a timestamp outside the skew window is stale. Reordered datagrams are
 * therefore dropped too, which costs nothing: every message is repeated or cumulative.
 */
export class ReplayGuard {
  private readonly marks = new Map<string, SenderMark>();

  constructor(private readonly maxClockSkewMs: number) {}

  admit(header: FrameHeader, nowMs: number): Freshness {
    if (Math.abs(header.timeMs - nowMs) > this.maxClockSkewMs) return "stale";
    const mark = this.marks.get(header.sender);
    if (!mark) {
      if (this.marks.size >= maxSenders) this.marks.delete(this.marks.keys().next().value!);
      this.marks.set(header.sender, { incarnation: header.incarnation, seq: header.seq });
      return "fresh";
    }
    if (header.incarnation < mark.incarnation) return "stale";
    if (header.incarnation === mark.incarnation && header.seq <= mark.seq) return "replayed";
    mark.incarnation = header.incarnation;
    mark.seq = header.seq;
    return "fresh";
  }
}
