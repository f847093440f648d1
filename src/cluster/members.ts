import type { MemberRumor, MemberStateName } from "./messages.ts";

/**
 * `joining`: heard of through another member or a seed, never heard from directly. Only direct,
 * authenticated traffic makes a member alive; rumors are used for discovery, never for verdicts.
 */
export type MemberState = MemberStateName | "joining";

export interface Member {
  readonly id: string;
  /** Small integer fixed for this id for the life of this process (indexes counter slots). */
  readonly index: number;
  host: string;
  port: number;
  /** The member's boot instant; a larger one means it restarted. */
  incarnation: number;
  state: MemberState;
  /** Monotonic ms of the last authenticated datagram from it. */
  lastHeardMs: number;
  /** Monotonic ms of the last state change. */
  stateSinceMs: number;
}

export type MemberEvent = "joined" | "rejoined" | "restarted" | "suspect" | "dead" | "left";

export interface MembershipOptions {
  readonly suspectTimeoutMs: number;
  readonly partitionPolicy: "available" | "conservative";
  readonly conservativeGraceMs: number;
}

/** Bounds the table against a flood of made-up member names from an authenticated peer. */
const maxMembers = 1_024;

/** This node's view of the other members. Self is not in the table. */
export class Membership {
  private readonly byId = new Map<string, Member>();
  private nextIndex = 0;
  private countedCache: Member[] = [];
  /** Changes whenever the set of members that share limits changes. */
  version = 0;
  onEvent: (member: Member, event: MemberEvent) => void = () => {};

  constructor(
    readonly selfId: string,
    private readonly options: MembershipOptions,
  ) {}

  get(id: string): Member | undefined {
    return this.byId.get(id);
  }

  all(): readonly Member[] {
    return [...this.byId.values()];
  }

  /** An authenticated datagram arrived from `id` at `host:port`. */
  heard(id: string, host: string, port: number, incarnation: number, now: number): Member | null {
    let member = this.byId.get(id);
    if (!member) {
      if (this.byId.size >= maxMembers) return null;
      member = this.add(id, host, port, incarnation, "alive", now);
      this.onEvent(member, "joined");
      return member;
    }
    member.lastHeardMs = now;
    member.host = host;
    member.port = port;
    if (incarnation > member.incarnation) {
      member.incarnation = incarnation;
      this.setState(member, "alive", now, "restarted");
    } else if (member.state !== "alive") {
      this.setState(member, "alive", now, member.state === "joining" ? "joined" : "rejoined");
    }
    return member;
  }

  /** Another member told us about `rumor`: remember it so we probe it, never trust it more. */
  learn(rumor: MemberRumor, now: number): void {
    if (rumor.id === this.selfId || rumor.state === "dead") return;
    const known = this.byId.get(rumor.id);
    if (known) {
      // A restarted member may come back on another port; only direct contact makes it alive.
      if (known.state !== "alive" && rumor.incarnation > known.incarnation) {
        known.host = rumor.host;
        known.port = rumor.port;
      }
      return;
    }
    if (this.byId.size >= maxMembers) return;
    this.add(rumor.id, rumor.host, rumor.port, rumor.incarnation, "joining", now);
  }

  suspect(member: Member, now: number): void {
    if (member.state === "alive") this.setState(member, "suspect", now, "suspect");
  }

  /** A member said goodbye (graceful shutdown): dead at once, no suspicion period. */
  left(member: Member, now: number): void {
    if (member.state !== "dead") this.setState(member, "dead", now, "left");
  }

  /** Suspects not heard from within the timeout become dead; ends conservative grace periods. */
  tick(now: number): void {
    for (const member of this.byId.values()) {
      // SWIM: the suspicion period starts when the member is suspected, not when last heard.
      if (
        member.state === "suspect" &&
        now - member.stateSinceMs >= this.options.suspectTimeoutMs
      ) {
        this.setState(member, "dead", now, "dead");
      }
    }
    if (this.options.partitionPolicy === "conservative") this.refreshCounted(now);
  }

  /** Members that receive counters and broadcasts: alive and suspect. */
  live(): Member[] {
    const out: Member[] = [];
    for (const member of this.byId.values()) {
      if (member.state === "alive" || member.state === "suspect") out.push(member);
    }
    return out;
  }

  /** Members to contact although we do not consider them live: joining and dead ones. */
  unreachable(): Member[] {
    const out: Member[] = [];
    for (const member of this.byId.values()) {
      if (member.state === "joining" || member.state === "dead") out.push(member);
    }
    return out;
  }

  /**
   * Members whose demand counts when a node computes its share of a limit: alive and suspect,
   * and under the conservative policy also the recently dead (their share stays reserved).
   */
  counted(): readonly Member[] {
    return this.countedCache;
  }

  /** True when `member` is counted only because of the conservative grace period. */
  reservedOnly(member: Member): boolean {
    return member.state === "dead";
  }

  rumors(): MemberRumor[] {
    const out: MemberRumor[] = [];
    for (const m of this.byId.values()) {
      if (m.state === "joining") continue;
      const { id, host, port, incarnation, state } = m;
      out.push({ id, host, port, incarnation, state });
    }
    return out;
  }

  private add(
    id: string,
    host: string,
    port: number,
    incarnation: number,
    state: MemberState,
    now: number,
  ): Member {
    const member: Member = {
      id,
      index: this.nextIndex++,
      host,
      port,
      incarnation,
      state,
      lastHeardMs: state === "alive" ? now : 0,
      stateSinceMs: now,
    };
    this.byId.set(id, member);
    this.refreshCounted(now);
    return member;
  }

  private setState(member: Member, state: MemberState, now: number, event: MemberEvent) {
    member.state = state;
    member.stateSinceMs = now;
    this.refreshCounted(now);
    this.onEvent(member, event);
  }

  private refreshCounted(now: number): void {
    const conservative = this.options.partitionPolicy === "conservative";
    const grace = conservative ? this.options.conservativeGraceMs : -1;
    const next: Member[] = [];
    for (const m of this.byId.values()) {
      const live = m.state === "alive" || m.state === "suspect";
      if (live || (m.state === "dead" && now - m.stateSinceMs < grace)) next.push(m);
    }
    if (sameMembers(next, this.countedCache)) return;
    this.countedCache = next;
    this.version++;
  }
}

function sameMembers(a: readonly Member[], b: readonly Member[]): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}
