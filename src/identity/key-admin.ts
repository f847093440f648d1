import { generateApiKey } from "./api-key-format.ts";
import type { ApiKeyRecord, ConsumerRecord, IdentityStore } from "./store.ts";

/**
 * Operator actions on consumers and keys, shared by the CLI (which opens the store file
 * directly) and the admin API (which uses the running gateway's store). Each returns plain data
 * or throws `AdminError` with a message safe to show; none ever returns a stored hash.
 */
export class AdminError extends Error {
  constructor(
    message: string,
    readonly kind: "not_found" | "bad_request" | "conflict",
  ) {
    super(message);
    this.name = "AdminError";
  }
}

export interface NewConsumer {
  readonly id: string;
  readonly tenant?: string | null;
  readonly roles?: readonly string[];
  readonly scopes?: readonly string[];
  readonly metadata?: Readonly<Record<string, string>>;
  readonly expiresAtMs?: number | null;
}

export function addConsumer(store: IdentityStore, input: NewConsumer, nowMs: number) {
  if (!/^[A-Za-z0-9][A-Za-z0-9._@:-]{0,127}$/.test(input.id)) {
    throw new AdminError("consumer ids use letters, digits, . _ @ : -", "bad_request");
  }
  if (store.getConsumer(input.id)) throw new AdminError(`consumer ${input.id} exists`, "conflict");
  const record: ConsumerRecord = {
    id: input.id,
    tenant: input.tenant ?? null,
    roles: input.roles ?? [],
    scopes: input.scopes ?? [],
    metadata: input.metadata ?? {},
    createdAtMs: nowMs,
    expiresAtMs: input.expiresAtMs ?? null,
    disabledAtMs: null,
    source: "store",
  };
  store.upsertConsumer(record);
  return record;
}

/** Offboarding in one step: the consumer is disabled and every key it has is revoked. */
export function disableConsumer(store: IdentityStore, id: string, nowMs: number) {
  if (!store.getConsumer(id)) throw new AdminError(`no consumer ${id}`, "not_found");
  return store.disableConsumer(id, nowMs);
}

export interface NewKey {
  readonly consumerId: string;
  readonly prefix: string;
  readonly ttlSec?: number | null;
  readonly scopes?: readonly string[] | null;
  readonly label?: string | null;
  readonly rotatedFrom?: string | null;
}

/** Creates a key; the returned `key` is the only time the full key exists outside the caller. */
export function createKey(store: IdentityStore, input: NewKey, nowMs: number) {
  const consumer = store.getConsumer(input.consumerId);
  if (!consumer) throw new AdminError(`no consumer ${input.consumerId}`, "not_found");
  if (consumer.disabledAtMs !== null) {
    throw new AdminError(`consumer ${input.consumerId} is disabled`, "conflict");
  }
  const generated = generateApiKey(input.prefix);
  const record: ApiKeyRecord = {
    keyId: generated.keyId,
    consumerId: consumer.id,
    hash: Bun.SHA256.hash(generated.full) as Uint8Array,
    scopes: input.scopes ?? null,
    label: input.label ?? null,
    createdAtMs: nowMs,
    expiresAtMs: input.ttlSec ? nowMs + input.ttlSec * 1000 : null,
    revokedAtMs: null,
    rotatedFrom: input.rotatedFrom ?? null,
    rotatedTo: null,
    lastUsedAtMs: null,
  };
  store.insertKey(record);
  return { key: generated.full, record };
}

/**
 * Issues a successor with the same consumer, scopes and label; the old key keeps working for
 * `graceSec` so callers can switch without an outage, then expires.
 */
export function rotateKey(
  store: IdentityStore,
  keyId: string,
  options: { prefix: string; graceSec: number; ttlSec?: number | null },
  nowMs: number,
) {
  const old = store.getKey(keyId);
  if (!old) throw new AdminError(`no key ${keyId}`, "not_found");
  if (old.revokedAtMs !== null) throw new AdminError(`key ${keyId} is revoked`, "conflict");
  const created = createKey(
    store,
    {
      consumerId: old.consumerId,
      prefix: options.prefix,
      scopes: old.scopes,
      label: old.label,
      ttlSec: options.ttlSec,
      rotatedFrom: old.keyId,
    },
    nowMs,
  );
  const oldKeyExpiresAtMs = nowMs + options.graceSec * 1000;
  store.markRotated(old.keyId, created.record.keyId, oldKeyExpiresAtMs);
  return { ...created, oldKeyExpiresAtMs };
}

export function revokeKey(store: IdentityStore, keyId: string, nowMs: number): void {
  if (!store.revokeKey(keyId, nowMs)) throw new AdminError(`no key ${keyId}`, "not_found");
}

/** Live keys not used for `unusedForMs` (never-used keys count from their creation). */
export function staleKeys(store: IdentityStore, unusedForMs: number, nowMs: number) {
  return store.listKeys().filter((k) => {
    if (k.revokedAtMs !== null || (k.expiresAtMs !== null && k.expiresAtMs <= nowMs)) return false;
    return nowMs - (k.lastUsedAtMs ?? k.createdAtMs) >= unusedForMs;
  });
}

/** A key record as shown to operators: no hash, times as ISO strings. */
export function describeKey(k: ApiKeyRecord, nowMs: number) {
  const iso = (ms: number | null) => (ms === null ? null : new Date(ms).toISOString());
  const state =
    k.revokedAtMs !== null
      ? "revoked"
      : k.expiresAtMs !== null && k.expiresAtMs <= nowMs
        ? "expired"
        : k.rotatedTo !== null
          ? "rotating"
          : "active";
  return {
    keyId: k.keyId,
    consumer: k.consumerId,
    state,
    label: k.label,
    scopes: k.scopes,
    createdAt: iso(k.createdAtMs),
    expiresAt: iso(k.expiresAtMs),
    revokedAt: iso(k.revokedAtMs),
    lastUsedAt: iso(k.lastUsedAtMs),
    rotatedFrom: k.rotatedFrom,
    rotatedTo: k.rotatedTo,
  };
}

export function describeConsumer(c: ConsumerRecord) {
  const iso = (ms: number | null) => (ms === null ? null : new Date(ms).toISOString());
  return {
    id: c.id,
    tenant: c.tenant,
    roles: c.roles,
    scopes: c.scopes,
    metadata: c.metadata,
    source: c.source,
    state: c.disabledAtMs !== null ? "disabled" : "active",
    createdAt: iso(c.createdAtMs),
    expiresAt: iso(c.expiresAtMs),
    disabledAt: iso(c.disabledAtMs),
  };
}
