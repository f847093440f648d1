import { z } from "zod";
import type { ClusterService } from "../cluster/cluster-service.ts";
import type { Logger } from "../log/logger.ts";
import type { IdentityStore } from "./store.ts";

/** Broadcast topic of revocations; the cluster's HMAC has authenticated every message on it. */
export const revocationTopic = "identity.revoke";

/**
 * One revocation as it travels: an API key id or a consumer id, never a secret or a hash.
 * `atMs` is when the origin node revoked it (Unix ms), kept so every store shows one time.
 */
export interface Revocation {
  readonly kind: "key" | "consumer";
  readonly id: string;
  readonly atMs: number;
}

export interface RevocationGossipStats {
  /** Revocations this node broadcast (admin API, or a CLI change its store poll noticed). */
  sent: number;
  /** Revocations from peers that changed this node's store. */
  applied: number;
  /** Revocations from peers this node already had. */
  duplicate: number;
  /** Messages on the topic that were not a valid revocation. */
  malformed: number;
  /** Revocations that could not be written to the store (logged as errors). */
  failed: number;
}

export interface RevocationGossip {
  /** This node just revoked a key or disabled a consumer itself: tell every peer. */
  announce(revocation: Revocation): void;
  /** The store changed under us (CLI, a sibling worker): broadcast revocations not seen yet. */
  storeChanged(): void;
  stats(): RevocationGossipStats;
  close(): void;
}

/** The part of the cluster this module uses. */
export type RevocationChannel = Pick<ClusterService, "enabled" | "broadcast" | "on">;

const keyId = z.string().regex(/^[0-9A-Za-z]{12}$/);
const consumerId = z.string().regex(/^[A-Za-z0-9][A-Za-z0-9._@:-]{0,127}$/);
const atMs = z.number().int().min(0).max(Number.MAX_SAFE_INTEGER);
const revocationSchema = z.discriminatedUnion("kind", [
  z.strictObject({ kind: z.literal("key"), id: keyId, atMs }),
  z.strictObject({ kind: z.literal("consumer"), id: consumerId, atMs }),
]);
const textDecoder = new TextDecoder("utf-8", { fatal: true });
/** A tombstone's hash: no SHA-256 output is 32 zero bytes, so no presented key ever matches. */
const noHash = new Uint8Array(32);

/**
 * Spreads API key revocations and consumer disables to every cluster node, so a leaked key is
 * refused everywhere, not only where the operator revoked it. Each node keeps its own store as
 * the source of truth; the broadcast only carries the change there quickly and nothing replays
 * it to a node that was down.
 *
 * Loops cannot form: a node broadcasts only what it did itself or found new in its store, and
 * what it applies from a peer is marked seen before its own poll could report it as new.
 */
export function createRevocationGossip(options: {
  readonly store: IdentityStore;
  readonly channel: RevocationChannel | undefined;
  readonly logger: Logger;
  /** Drops the in-memory key, consumer and token state, so the next request reads the store. */
  readonly applied: () => void;
}): RevocationGossip {
  const { store, channel, logger, applied } = options;
  const stats: RevocationGossipStats = {
    sent: 0,
    applied: 0,
    duplicate: 0,
    malformed: 0,
    failed: 0,
  };
  if (!channel?.enabled) {
    return { announce() {}, storeChanged() {}, stats: () => ({ ...stats }), close() {} };
  }
  const seen = new Set<string>();
  snapshot(() => {});
  const unsubscribe = channel.on(revocationTopic, receive);

  /** Marks every revocation in the store seen; reports the new ones to `found`. */
  function snapshot(found: (revocation: Revocation) => void): void {
    const disabledNow = new Set<string>();
    for (const c of store.listConsumers()) {
      if (c.disabledAtMs === null || !mark(`consumer:${c.id}`)) continue;
      disabledNow.add(c.id);
      found({ kind: "consumer", id: c.id, atMs: c.disabledAtMs });
    }
    for (const k of store.listKeys()) {
      if (k.revokedAtMs === null || !mark(`key:${k.keyId}`)) continue;
      // A consumer disable already carries the revocation of all its keys.
      if (!disabledNow.has(k.consumerId)) found({ kind: "key", id: k.keyId, atMs: k.revokedAtMs });
    }
  }

  function mark(name: string): boolean {
    if (seen.has(name)) return false;
    seen.add(name);
    return true;
  }

  function send(revocation: Revocation): void {
    channel!.broadcast(revocationTopic, JSON.stringify(revocation));
    stats.sent++;
  }

  function receive(payload: Uint8Array, from: string): void {
    const revocation = parse(payload);
    if (!revocation) {
      stats.malformed++;
      logger.debug({ from, bytes: payload.length }, "malformed revocation broadcast dropped");
      return;
    }
    const name = `${revocation.kind}:${revocation.id}`;
    if (seen.has(name)) return void stats.duplicate++;
    try {
      const outcome = apply(revocation);
      seen.add(name);
      stats.applied++;
      applied();
      const what = revocation.kind === "key" ? "API key revoked" : "consumer disabled";
      logger.info({ from, ...revocation, outcome }, `${what} by a cluster peer`);
    } catch (err) {
      stats.failed++;
      logger.error({ err, from, ...revocation }, "could not store a revocation from a peer");
    }
  }

  /** Writes the revocation; a record this store lacks becomes a tombstone that refuses it. */
  function apply({ kind, id, atMs }: Revocation): "revoked" | "tombstone" {
    // A peer's clock running ahead must not post-date this store's record.
    const at = Math.min(atMs, Date.now());
    if (kind === "key") {
      if (store.revokeKey(id, at)) return "revoked";
      try {
        store.insertKey(keyTombstone(id, at));
        return "tombstone";
      } catch (error) {
        // The key arrived between the two statements (another process wrote it): revoke it.
        if (store.revokeKey(id, at)) return "revoked";
        throw error;
      }
    }
    if (store.getConsumer(id)) {
      store.disableConsumer(id, at);
      for (const k of store.listKeys(id)) seen.add(`key:${k.keyId}`);
      return "revoked";
    }
    store.upsertConsumer(consumerTombstone(id, at));
    return "tombstone";
  }

  return {
    announce(revocation) {
      seen.add(`${revocation.kind}:${revocation.id}`);
      if (revocation.kind === "consumer") {
        for (const k of store.listKeys(revocation.id)) seen.add(`key:${k.keyId}`);
      }
      // Sent even when seen before: re-running a revoke re-sends it to nodes that missed it.
      send(revocation);
    },
    storeChanged() {
      try {
        snapshot(send);
      } catch (err) {
        logger.error({ err }, "could not scan the identity store for new revocations");
      }
    },
    stats: () => ({ ...stats }),
    close: () => unsubscribe(),
  };
}

function parse(payload: Uint8Array): Revocation | null {
  try {
    const result = revocationSchema.safeParse(JSON.parse(textDecoder.decode(payload)));
    return result.success ? result.data : null;
  } catch {
    return null;
  }
}

/**
 * A revoked key this store never held. Its id is taken, so a copy of the real key synced in
 * later cannot be inserted, and a presented key with this id is refused.
 */
function keyTombstone(keyId: string, atMs: number) {
  return {
    keyId,
    consumerId: "",
    hash: noHash,
    scopes: null,
    label: "revoked by a cluster peer before this store held the key",
    createdAtMs: atMs,
    expiresAtMs: null,
    revokedAtMs: atMs,
    rotatedFrom: null,
    rotatedTo: null,
    lastUsedAtMs: null,
  };
}

/** A disabled consumer this store never held: adding it later finds it present and disabled. */
function consumerTombstone(id: string, atMs: number) {
  return {
    id,
    tenant: null,
    roles: [],
    scopes: [],
    metadata: { revokedBy: "cluster peer" },
    createdAtMs: atMs,
    expiresAtMs: null,
    disabledAtMs: atMs,
    source: "store" as const,
  };
}
