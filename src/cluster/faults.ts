/**
 * Test-only fault injection for the gossip transport: drop a fraction of outgoing datagrams and
 * cut this node off from named peers in both directions. Needs no privileges, so partition and
 * loss tests run in CI. Reachable over the admin listener only with `cluster.faultInjection`.
 */
export class FaultSwitch {
  dropProbability = 0;
  readonly blockedPeers = new Set<string>();

  set(settings: { dropProbability?: number; blockedPeers?: readonly string[] }): void {
    if (settings.dropProbability !== undefined) {
      if (!(settings.dropProbability >= 0 && settings.dropProbability <= 1)) {
        throw new TypeError("dropProbability must be between 0 and 1");
      }
      this.dropProbability = settings.dropProbability;
    }
    if (settings.blockedPeers !== undefined) {
      this.blockedPeers.clear();
      for (const peer of settings.blockedPeers) this.blockedPeers.add(peer);
    }
  }

  /** Whether a datagram to `peer` should vanish. */
  dropOutgoing(peer: string | null): boolean {
    if (peer !== null && this.blockedPeers.has(peer)) return true;
    return this.dropProbability > 0 && Math.random() < this.dropProbability;
  }

  dropIncoming(peer: string): boolean {
    return this.blockedPeers.has(peer);
  }

  view() {
    return { dropProbability: this.dropProbability, blockedPeers: [...this.blockedPeers] };
  }
}
