import type { udp } from "bun";
import type { ClusterConfig } from "../config/sections/cluster.ts";
import type { Logger } from "../log/logger.ts";
import { BroadcastHub, type BroadcastHandler } from "./broadcast.ts";
import { broadcastSpacingMs, broadcastTransmissions, maxBroadcastBytes } from "./broadcast.ts";
import { MalformedDatagram } from "./bytes.ts";
import { createClusterStats, type ClusterStats } from "./cluster-stats.ts";
import { decodeFrame, encodeFrame, maxDatagramBytes } from "./codec.ts";
import { FaultSwitch } from "./faults.ts";
import { Keyring } from "./keyring.ts";
import { Membership, type Member } from "./members.ts";
import { decodeMessage, encodeMessage, MessageKind, type Message } from "./messages.ts";
import { Prober } from "./prober.ts";
import { ReplayGuard } from "./replay-guard.ts";

/** What the limiter plugs into the cluster: its counters out, peers' counters in. */
export interface CounterExchange {
  /** Bodies of counter messages for this gossip round, each small enough for one datagram. */
  collect(now: number): Uint8Array[];
  apply(member: Member, body: Uint8Array, now: number): void;
}

export interface ClusterSettings extends ClusterConfig {
  readonly nodeId: string;
  /** Seeds added by the worker supervisor (sibling processes). */
  readonly extraSeeds?: readonly string[];
}

/**
 * This node's membership in the gossip cluster: one UDP socket, signed datagrams, SWIM-lite
 * failure detection, the counter exchange for the gossip limiter and a broadcast channel other
 * subsystems use (API key revocations, consumer disables).
 */
export class GossipCluster {
  readonly enabled = true;
  readonly incarnation = Date.now();
  readonly membership: Membership;
  readonly keyring: Keyring;
  readonly faults: FaultSwitch | null;
  readonly gossipIntervalMs: number;
  private readonly counters = createClusterStats();
  private readonly replay: ReplayGuard;
  private readonly hub = new BroadcastHub();
  private readonly prober: Prober;
  private socket: udp.Socket<"uint8array"> | null = null;
  private exchange: CounterExchange | null = null;
  private timers: ReturnType<typeof setInterval>[] = [];
  private seq = 0;
  private nextBroadcastId = 1;
  private lastForgedWarning = -Infinity;

  private constructor(
    private readonly settings: ClusterSettings,
    private readonly logger: Logger,
  ) {
    this.keyring = new Keyring(settings.keys!);
    this.faults = settings.faultInjection ? new FaultSwitch() : null;
    this.gossipIntervalMs = settings.gossipIntervalMs;
    this.replay = new ReplayGuard(settings.maxClockSkewMs);
    this.membership = new Membership(settings.nodeId, settings);
    this.membership.onEvent = (member, event) => {
      const fields = { peer: member.id, event, incarnation: member.incarnation };
      logger.info(fields, `cluster peer ${event}`);
    };
    const seeds = [...settings.seeds, ...(settings.extraSeeds ?? [])].map(parseHostPort);
    this.prober = new Prober(this.membership, seeds, this.transport(), settings);
  }

  /** Binds the socket and starts gossiping, probing and contacting the seeds. */
  static async start(settings: ClusterSettings, logger: Logger): Promise<GossipCluster> {
    const cluster = new GossipCluster(settings, logger);
    const seeds = settings.seeds.length + (settings.extraSeeds?.length ?? 0);
    cluster.socket = await Bun.udpSocket({
      hostname: settings.bind.host,
      port: settings.bind.port,
      binaryType: "uint8array",
      socket: {
        data: (_socket, data, port, address) => cluster.receive(data, address, port),
        // ICMP port-unreachable from a dead peer lands here; the socket stays usable (§1.14).
        error: () => void cluster.counters.sendErrors++,
      },
    });
    const every = (ms: number, run: () => void) => {
      const timer = setInterval(run, ms);
      timer.unref();
      cluster.timers.push(timer);
    };
    every(settings.gossipIntervalMs, () => cluster.gossipRound());
    every(settings.probeIntervalMs, () => cluster.prober.round(performance.now()));
    const tickMs = Math.min(250, settings.probeIntervalMs);
    every(tickMs, () => cluster.membership.tick(performance.now()));
    cluster.prober.round(performance.now());
    const joinTimeoutMs = Math.max(1_000, 2 * settings.probeIntervalMs);
    const joined = seeds === 0 || (await cluster.awaitPeer(joinTimeoutMs));
    const fields = { member: settings.nodeId, port: cluster.port, cluster: settings.clusterId };
    if (joined) logger.info(fields, "cluster joined");
    else logger.warn(fields, "no seed answered; serving as a cluster of one until peers appear");
    return cluster;
  }

  /**
   * Waits until some member answered. A node that serves before it knows its peers would spend
   * a whole burst alone, so startup waits (bounded) for the first peer.
   */
  private async awaitPeer(timeoutMs: number): Promise<boolean> {
    const deadline = performance.now() + timeoutMs;
    while (this.membership.live().length === 0) {
      if (performance.now() >= deadline) return false;
      await Bun.sleep(10);
    }
    return true;
  }

  get nodeId(): string {
    return this.settings.nodeId;
  }

  get port(): number {
    return this.socket?.port ?? 0;
  }

  attachCounters(exchange: CounterExchange): void {
    this.exchange = exchange;
  }

  /** Hash of a rate-limit key name as it travels between nodes. */
  hashKeyName(ruleId: string, key: string): Uint8Array {
    return this.keyring.hashKeyName(ruleId, key);
  }

  /**
   * Sends `payload` to every live member, three times spaced 120 ms apart, delivered at most once
   * on each. Not delivered locally: the caller acts on its own node itself. Members that are
   * down miss it, so state that must survive belongs in a store; this only spreads it fast.
   */
  broadcast(topic: string, payload: Uint8Array | string): void {
    const body = typeof payload === "string" ? new TextEncoder().encode(payload) : payload;
    if (body.length > maxBroadcastBytes) {
      throw new TypeError(`broadcast body over ${maxBroadcastBytes} bytes`);
    }
    const messageId = this.nextBroadcastId++;
    const message: Message = { kind: MessageKind.broadcast, messageId, topic, body };
    this.counters.broadcastsSent++;
    for (let i = 0; i < broadcastTransmissions; i++) {
      const send = () => {
        for (const member of this.membership.live()) this.sendTo(member, message);
      };
      if (i === 0) send();
      else setTimeout(send, i * broadcastSpacingMs).unref();
    }
  }

  on(topic: string, handler: BroadcastHandler): () => void {
    return this.hub.on(topic, handler);
  }

  stats(): ClusterStats {
    return { ...this.counters };
  }

  /** Says goodbye to live members (they mark us dead at once) and closes the socket. */
  async close(): Promise<void> {
    for (const timer of this.timers) clearInterval(timer);
    this.timers = [];
    this.prober.stop();
    for (const member of this.membership.live()) {
      this.send(member.host, member.port, member.id, { kind: MessageKind.leave });
    }
    await Bun.sleep(5);
    this.socket?.close();
    this.socket = null;
  }

  private gossipRound(): void {
    if (!this.exchange) return;
    const bodies = this.exchange.collect(performance.now());
    if (bodies.length === 0) return;
    const live = this.membership.live();
    for (const body of bodies) {
      // One signed datagram for every peer: sequence numbers are per sender, so each receiver
      // still accepts it once. Saves an HMAC per peer per datagram.
      const datagram = this.frame({ kind: MessageKind.counters, body });
      for (const member of live) this.sendFrame(datagram, member.host, member.port, member.id);
    }
  }

  private sendTo(member: Member, message: Message): void {
    this.send(member.host, member.port, member.id, message);
  }

  private send(host: string, port: number, peer: string | null, message: Message): void {
    this.sendFrame(this.frame(message), host, port, peer);
  }

  private frame(message: Message): Uint8Array {
    const header = {
      clusterId: this.settings.clusterId,
      sender: this.settings.nodeId,
      incarnation: this.incarnation,
      seq: ++this.seq,
      timeMs: Date.now(),
    };
    const datagram = encodeFrame(header, encodeMessage(message), this.keyring);
    if (datagram.length > maxDatagramBytes * 2) throw new RangeError("gossip datagram too large");
    return datagram;
  }

  private sendFrame(datagram: Uint8Array, host: string, port: number, peer: string | null): void {
    if (!this.socket) return;
    if (this.faults?.dropOutgoing(peer)) {
      this.counters.faultDropped++;
      return;
    }
    try {
      this.socket.send(datagram, port, host);
      this.counters.datagramsSent++;
      this.counters.bytesSent += datagram.length;
    } catch {
      this.counters.sendErrors++;
    }
  }

  private receive(data: Uint8Array, address: string, port: number): void {
    this.counters.datagramsReceived++;
    this.counters.bytesReceived += data.length;
    const decoded = decodeFrame(data, this.settings.clusterId, this.keyring);
    if (!decoded.ok) return this.dropped(decoded.reason, address);
    const frame = decoded.frame;
    if (frame.sender === this.settings.nodeId) return void this.counters.fromSelf++;
    if (this.faults?.dropIncoming(frame.sender)) return void this.counters.faultDropped++;
    const freshness = this.replay.admit(frame, Date.now());
    if (freshness !== "fresh") return void this.counters[freshness]++;

    let message: Message;
    try {
      message = decodeMessage(frame.payload);
    } catch (error) {
      if (error instanceof MalformedDatagram) return void this.counters.malformed++;
      throw error;
    }
    this.counters.accepted++;
    const now = performance.now();
    const member = this.membership.heard(frame.sender, address, port, frame.incarnation, now);
    if (member) this.dispatch(member, frame.incarnation, message, now);
  }

  private dispatch(member: Member, incarnation: number, message: Message, now: number): void {
    switch (message.kind) {
      case MessageKind.ping:
        for (const rumor of message.members) this.membership.learn(rumor, now);
        return this.prober.answerPing(member, message.probeId);
      case MessageKind.ack:
        for (const rumor of message.members) this.membership.learn(rumor, now);
        return this.prober.acknowledged(message.probeId, now);
      case MessageKind.pingRequest:
        return this.prober.probeFor(member, message.probeId, message.target, now);
      case MessageKind.counters:
        try {
          this.exchange?.apply(member, message.body, now);
        } catch (error) {
          // Entries before the bad one were applied; counts are cumulative, so that is harmless.
          if (!(error instanceof MalformedDatagram)) throw error;
          this.counters.malformed++;
        }
        return;
      case MessageKind.broadcast: {
        const { messageId, topic, body } = message;
        const onError = (err: unknown) => {
          this.logger.error({ err, topic }, "broadcast handler failed");
        };
        const fresh = this.hub.deliver(member.id, incarnation, messageId, topic, body, onError);
        this.counters[fresh ? "broadcastsDelivered" : "broadcastsDuplicate"]++;
        return;
      }
      case MessageKind.leave:
        return this.membership.left(member, now);
    }
  }

  private dropped(reason: "malformed" | "foreign-cluster" | "forged", address: string): void {
    if (reason === "foreign-cluster") this.counters.foreignCluster++;
    else this.counters[reason]++;
    // A wrong or missing key is a configuration fault worth a warning, but not one per datagram.
    const now = performance.now();
    if (reason === "forged" && now - this.lastForgedWarning > 60_000) {
      this.lastForgedWarning = now;
      this.logger.warn({ from: address }, "gossip datagram with a bad tag (wrong cluster key?)");
    }
  }

  private transport() {
    return {
      sendTo: (member: Member, message: Message) => this.sendTo(member, message),
      sendToAddress: (host: string, port: number, message: Message) => {
        // A shared seed list names this node too; talking to ourselves proves nothing.
        if (port === this.port && host === this.settings.bind.host) return;
        this.send(host, port, null, message);
      },
      noteProbe: (indirect: boolean) => {
        this.counters[indirect ? "indirectProbesSent" : "probesSent"]++;
      },
    };
  }
}

function parseHostPort(text: string): { host: string; port: number } {
  const colon = text.lastIndexOf(":");
  const host = text.slice(0, colon).replace(/^\[|\]$/g, "");
  return { host, port: Number(text.slice(colon + 1)) };
}
