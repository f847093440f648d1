import type { Member, Membership } from "./members.ts";
import { MessageKind, type MemberRumor, type Message } from "./messages.ts";

export interface ProberOptions {
  readonly probeTimeoutMs: number;
  readonly indirectProbes: number;
}

/** How the prober reaches the network; implemented by the cluster. */
export interface ProbeTransport {
  sendTo(member: Member, message: Message): void;
  sendToAddress(host: string, port: number, message: Message): void;
  noteProbe(indirect: boolean): void;
}

interface Relay {
  readonly requester: Member;
  readonly requesterProbeId: number;
  readonly expiresAt: number;
}

/**
 * SWIM-style failure detection. Each round probes one live member (randomised round robin); a
 * probe unanswered within the timeout is retried through `indirectProbes` other members
 * (ping-req); a member still silent when the next round starts is suspect. Any authenticated
 * datagram from the member counts as an answer. Dead and joining members and seed addresses
 * are pinged every round so that healed partitions and restarted nodes are found again.
 */
export class Prober {
  private order: Member[] = [];
  private current: { target: Member; sentAt: number } | null = null;
  private nextProbeId = 1;
  private readonly relays = new Map<number, Relay>();
  /** Our ping-req probe ids and the member each one asks about. */
  private readonly asked = new Map<number, Member>();
  private timeout: ReturnType<typeof setTimeout> | null = null;

  constructor(
    private readonly membership: Membership,
    private readonly seeds: readonly { host: string; port: number }[],
    private readonly transport: ProbeTransport,
    private readonly options: ProberOptions,
  ) {}

  /** One protocol period. */
  round(now: number): void {
    const previous = this.current;
    if (previous && previous.target.lastHeardMs < previous.sentAt) {
      this.membership.suspect(previous.target, now);
    }
    this.current = null;
    this.asked.clear();
    this.expireRelays(now);

    const target = this.nextTarget();
    if (target) this.probe(target, now);
    for (const member of this.membership.unreachable()) this.ping(member);
    for (const seed of this.seeds) {
      if (!this.knownLive(seed.host, seed.port)) {
        this.transport.sendToAddress(seed.host, seed.port, this.pingMessage(0));
      }
    }
  }

  /** A ping arrived: answer it. */
  answerPing(from: Member, probeId: number): void {
    const members = this.membership.rumors();
    this.transport.sendTo(from, { kind: MessageKind.ack, probeId, members });
  }

  /**
   * An ack arrived. If it answers one of our ping-reqs, the member it asked about is alive; if
   * we were probing on someone's behalf, pass it on.
   */
  acknowledged(probeId: number, now: number): void {
    const asked = this.asked.get(probeId);
    if (asked) {
      this.asked.delete(probeId);
      if (asked.state === "alive" || asked.state === "suspect") asked.lastHeardMs = now;
      return;
    }
    const relay = this.relays.get(probeId);
    if (!relay) return;
    this.relays.delete(probeId);
    const ack: Message = { kind: MessageKind.ack, probeId: relay.requesterProbeId, members: [] };
    this.transport.sendTo(relay.requester, ack);
  }

  /** Another member asks us to probe `target` for it. */
  probeFor(requester: Member, requesterProbeId: number, target: MemberRumor, now: number): void {
    if (this.relays.size > 256) return;
    const probeId = this.nextProbeId++;
    this.relays.set(probeId, { requester, requesterProbeId, expiresAt: now + 5_000 });
    this.transport.sendToAddress(target.host, target.port, this.pingMessage(probeId));
  }

  stop(): void {
    if (this.timeout) clearTimeout(this.timeout);
    this.timeout = null;
  }

  private probe(target: Member, now: number): void {
    this.current = { target, sentAt: now };
    this.transport.noteProbe(false);
    this.transport.sendTo(target, this.pingMessage(this.nextProbeId++));
    if (this.timeout) clearTimeout(this.timeout);
    this.timeout = setTimeout(() => this.indirect(target, now), this.options.probeTimeoutMs);
    this.timeout.unref?.();
  }

  private indirect(target: Member, sentAt: number): void {
    this.timeout = null;
    if (target.lastHeardMs >= sentAt || this.current?.target !== target) return;
    const helpers = shuffle(this.membership.live().filter((m) => m !== target));
    const rumor: MemberRumor = {
      id: target.id,
      host: target.host,
      port: target.port,
      incarnation: target.incarnation,
      state: "alive",
    };
    for (const helper of helpers.slice(0, this.options.indirectProbes)) {
      const probeId = this.nextProbeId++;
      this.asked.set(probeId, target);
      this.transport.noteProbe(true);
      this.transport.sendTo(helper, { kind: MessageKind.pingRequest, probeId, target: rumor });
    }
  }

  private ping(member: Member): void {
    this.transport.sendTo(member, this.pingMessage(this.nextProbeId++));
  }

  private pingMessage(probeId: number): Message {
    return { kind: MessageKind.ping, probeId, members: this.membership.rumors() };
  }

  private nextTarget(): Member | null {
    while (this.order.length > 0) {
      const next = this.order.pop()!;
      if (next.state === "alive" || next.state === "suspect") return next;
    }
    this.order = shuffle(this.membership.live());
    return this.order.pop() ?? null;
  }

  private knownLive(host: string, port: number): boolean {
    return this.membership.live().some((m) => m.host === host && m.port === port);
  }

  private expireRelays(now: number): void {
    for (const [id, relay] of this.relays) if (relay.expiresAt < now) this.relays.delete(id);
  }
}

function shuffle<T>(items: T[]): T[] {
  for (let i = items.length - 1; i > 0; i--) {
    const j = Math.floor(Math.random() * (i + 1));
    [items[i], items[j]] = [items[j]!, items[i]!];
  }
  return items;
}
