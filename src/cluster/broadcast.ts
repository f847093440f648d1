/** A handler for one broadcast topic; `from` is the sending node's id. */
export type BroadcastHandler = (payload: Uint8Array, from: string) => void;

/** Largest broadcast body: one datagram with room for the frame and topic. */
export const maxBroadcastBytes = 1_000;
/** Each broadcast is sent this many times (spaced out) so a lost datagram rarely loses it. */
export const broadcastTransmissions = 3;
/** Delay between transmissions. */
export const broadcastSpacingMs = 120;

const rememberedIds = 8_192;

/**
 * Topic subscriptions and duplicate suppression for the broadcast channel. Delivery is at most
 * once per (sender, incarnation, message id); ordering across messages is not guaranteed.
 */
export class BroadcastHub {
  private readonly handlers = new Map<string, Set<BroadcastHandler>>();
  private readonly seen = new Set<string>();

  on(topic: string, handler: BroadcastHandler): () => void {
    let set = this.handlers.get(topic);
    if (!set) this.handlers.set(topic, (set = new Set()));
    set.add(handler);
    return () => set.delete(handler);
  }

  /** Returns false for a duplicate; handler errors are reported, not thrown. */
  deliver(
    from: string,
    incarnation: number,
    messageId: number,
    topic: string,
    payload: Uint8Array,
    onError: (error: unknown) => void,
  ): boolean {
    const id = `${from}\0${incarnation}\0${messageId}`;
    if (this.seen.has(id)) return false;
    this.seen.add(id);
    if (this.seen.size > rememberedIds) this.seen.delete(this.seen.values().next().value!);
    const handlers = this.handlers.get(topic);
    if (!handlers) return true;
    for (const handler of handlers) {
      try {
        handler(payload, from);
      } catch (error) {
        onError(error);
      }
    }
    return true;
  }
}
