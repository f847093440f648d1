import { timingSafeEqual } from "node:crypto";
import { parseApiKey } from "./api-key-format.ts";
import type { Identity } from "./identity.ts";
import type { ApiKeyRecord, ConsumerRecord, IdentityStore } from "./store.ts";

/** Outcome of checking one presented key; `reason` goes to audit and metrics only. */
export type KeyCheck =
  | { readonly ok: true; readonly identity: Identity }
  | { readonly ok: false; readonly reason: ApiKeyReason };

export type ApiKeyReason =
  | "authn.api_key.malformed"
  | "authn.api_key.unknown"
  | "authn.api_key.secret_mismatch"
  | "authn.api_key.revoked"
  | "authn.api_key.expired"
  | "authn.api_key.consumer_disabled"
  | "authn.api_key.consumer_expired";

/** A key record joined with its consumer and the identity it yields, cached per key id. */
interface KeyEntry {
  readonly key: ApiKeyRecord;
  readonly consumer: ConsumerRecord | null;
  readonly identity: Identity | null;
  /** Last time this key's use was queued for the batched last-used write. */
  notedAtMs: number;
}

export interface ApiKeyVerifier {
  verify(presented: string, nowMs: number): KeyCheck;
  /** Why a key can no longer back a minted token, or null while it still can. */
  keyStatus(keyId: string, nowMs: number): ApiKeyReason | null;
  consumer(id: string): ConsumerRecord | null;
  /** Forgets every cached record; the next request reads the store again. */
  invalidate(): void;
  /** Writes queued last-used times in one transaction. */
  flushLastUsed(): void;
}

/** Secret-free stand-in compared against when a key id is unknown, so both paths hash alike. */
const dummyHash = new Uint8Array(32);
const maxCachedEntries = 100_000;
/** Presented keys remembered after a successful check (about 200 bytes each, memory only). */
const maxVerifiedKeys = 10_000;

/**
 * Verifies API keys against the store through an in-memory cache of key records by key id. A
 * key that passed the full check is also remembered by its exact text (in memory only, never
 * written or logged), so its next use skips parsing, checksum and hashing. Both caches are
 * dropped whenever the store changes (see service.ts), so a revocation made here takes effect
 * on the next request and one made by the CLI or another node within one poll interval.
 *
 * Why SHA-256 and not a slow password hash: the secret is 256 random bits, so no dictionary or
 * brute-force search over its hash is feasible; slow hashes exist to protect low-entropy
 * passwords and would cost milliseconds on every request.
 */
export function createApiKeyVerifier(store: IdentityStore): ApiKeyVerifier {
  const keys = new Map<string, KeyEntry | null>();
  const consumers = new Map<string, ConsumerRecord | null>();
  const lastUsed = new Map<string, number>();
  // Fast path: the exact text of keys that passed the full check, pointing at their live entry.
  // Only someone holding the whole key can hit it; every other string takes the full path.
  const verified = new Map<string, KeyEntry>();

  /** The entry a previously verified key maps to, while that entry is still the live one. */
  function verifiedEntry(presented: string): KeyEntry | null {
    const entry = verified.get(presented);
    if (entry === undefined) return null;
    // `invalidate` (revocation, disable, any store change) replaces the live entry: drop ours.
    if (keys.get(entry.key.keyId) === entry) return entry;
    verified.delete(presented);
    return null;
  }

  function remember(presented: string, entry: KeyEntry): void {
    if (verified.size >= maxVerifiedKeys) {
      const oldest = verified.keys().next().value;
      if (oldest !== undefined) verified.delete(oldest);
    }
    verified.set(presented, entry);
  }

  function accept(entry: KeyEntry, nowMs: number): KeyCheck {
    const status = statusOf(entry, nowMs);
    if (status) return { ok: false, reason: status };
    if (nowMs - entry.notedAtMs >= 1000) {
      entry.notedAtMs = nowMs;
      lastUsed.set(entry.key.keyId, nowMs);
    }
    return { ok: true, identity: entry.identity! };
  }

  function entryFor(keyId: string): KeyEntry | null {
    const cached = keys.get(keyId);
    if (cached !== undefined) return cached;
    if (keys.size >= maxCachedEntries) keys.clear();
    const key = store.getKey(keyId);
    const consumer = key ? consumerFor(key.consumerId) : null;
    const entry = key ? { key, consumer, identity: toIdentity(key, consumer), notedAtMs: 0 } : null;
    keys.set(keyId, entry);
    return entry;
  }

  function consumerFor(id: string): ConsumerRecord | null {
    const cached = consumers.get(id);
    if (cached !== undefined) return cached;
    const record = store.getConsumer(id);
    consumers.set(id, record);
    return record;
  }

  function statusOf(entry: KeyEntry, nowMs: number): ApiKeyReason | null {
    const { key, consumer } = entry;
    if (key.revokedAtMs !== null) return "authn.api_key.revoked";
    if (!consumer || consumer.disabledAtMs !== null) return "authn.api_key.consumer_disabled";
    if (key.expiresAtMs !== null && nowMs >= key.expiresAtMs) return "authn.api_key.expired";
    if (consumer.expiresAtMs !== null && nowMs >= consumer.expiresAtMs) {
      return "authn.api_key.consumer_expired";
    }
    return null;
  }

  return {
    verify(presented, nowMs) {
      // Revocation, expiry and consumer state are still judged on every use (`accept`).
      const known = verifiedEntry(presented);
      if (known) return accept(known, nowMs);

      const parsed = parseApiKey(presented);
      const entry = parsed ? entryFor(parsed.keyId) : null;
      // Hash and compare on every path, so a malformed or unknown key costs what a real one does.
      const digest = Bun.SHA256.hash(presented) as Uint8Array;
      const stored = entry ? entry.key.hash : dummyHash;
      const same = stored.length === 32 && timingSafeEqual(digest, stored);
      if (!parsed) return { ok: false, reason: "authn.api_key.malformed" };
      if (!entry) return { ok: false, reason: "authn.api_key.unknown" };
      if (!same) return { ok: false, reason: "authn.api_key.secret_mismatch" };

      const result = accept(entry, nowMs);
      if (result.ok) remember(presented, entry);
      return result;
    },

    keyStatus(keyId, nowMs) {
      const entry = entryFor(keyId);
      return entry ? statusOf(entry, nowMs) : "authn.api_key.unknown";
    },

    consumer: consumerFor,

    invalidate() {
      keys.clear();
      consumers.clear();
      verified.clear();
    },

    flushLastUsed() {
      if (lastUsed.size === 0) return;
      const batch = [...lastUsed];
      lastUsed.clear();
      store.recordLastUsed(batch);
    },
  };
}

function toIdentity(key: ApiKeyRecord, consumer: ConsumerRecord | null): Identity | null {
  if (!consumer) return null;
  const scopes = key.scopes
    ? key.scopes.filter((s) => consumer.scopes.includes(s))
    : consumer.scopes;
  return {
    subject: consumer.id,
    kind: "api-key",
    credentialId: key.keyId,
    tenant: consumer.tenant,
    roles: consumer.roles,
    scopes,
    actorChain: [],
    issuer: null,
    email: consumer.metadata.email ?? null,
  };
}
