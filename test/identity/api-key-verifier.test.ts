import { afterEach, describe, expect, test } from "bun:test";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { generateApiKey } from "../../src/identity/api-key-format.ts";
import { createApiKeyVerifier } from "../../src/identity/api-key-verifier.ts";
import {
  addConsumer,
  createKey,
  disableConsumer,
  revokeKey,
  rotateKey,
  staleKeys,
} from "../../src/identity/key-admin.ts";
import { openSqliteStore } from "../../src/identity/sqlite-store.ts";
import type { IdentityStore } from "../../src/identity/store.ts";

const dirs: string[] = [];
const stores: IdentityStore[] = [];
afterEach(() => {
  stores.splice(0).forEach((s) => s.close());
  dirs.splice(0).forEach((d) => rmSync(d, { recursive: true, force: true }));
});

function freshStore() {
  const dir = mkdtempSync(join(tmpdir(), "portcullis-keys-"));
  dirs.push(dir);
  const file = join(dir, "identity.sqlite");
  const store = openSqliteStore(file);
  stores.push(store);
  return { store, file };
}

function withAlice(store: IdentityStore, now = Date.now()) {
  addConsumer(
    store,
    { id: "alice", tenant: "t1", roles: ["user"], scopes: ["read", "write"] },
    now,
  );
  return createKey(store, { consumerId: "alice", prefix: "pk_live" }, now);
}

describe("API key verification against the store", () => {
  test("accepts a created key and yields the consumer's identity", () => {
    const { store } = freshStore();
    const { key, record } = withAlice(store);
    const result = createApiKeyVerifier(store).verify(key, Date.now());
    expect(result.ok).toBe(true);
    if (!result.ok) return;
    expect(result.identity).toMatchObject({
      subject: "alice",
      kind: "api-key",
      credentialId: record.keyId,
      tenant: "t1",
      roles: ["user"],
      scopes: ["read", "write"],
    });
  });

  test("stores only a hash: the key text appears nowhere in the database file", async () => {
    const { store, file } = freshStore();
    const { key } = withAlice(store);
    store.close();
    stores.splice(stores.indexOf(store), 1);
    const bytes = await Bun.file(file).text();
    expect(bytes.includes(key)).toBe(false);
    expect(bytes.includes(key.slice(-49, -6))).toBe(false);
  });

  test("gives distinct reasons for malformed, unknown, wrong secret, revoked and expired", () => {
    const { store } = freshStore();
    const now = Date.now();
    const { key, record } = withAlice(store, now);
    const verifier = createApiKeyVerifier(store);
    const other = generateApiKey("pk_live").full;
    // Same key id, another secret, valid checksum: found by id, refused by the hash.
    const sameIdOtherSecret = withId(other, record.keyId);

    expect(verifier.verify(`${key}x`, now)).toEqual({
      ok: false,
      reason: "authn.api_key.malformed",
    });
    expect(verifier.verify(other, now)).toEqual({ ok: false, reason: "authn.api_key.unknown" });
    expect(verifier.verify(sameIdOtherSecret, now)).toEqual({
      ok: false,
      reason: "authn.api_key.secret_mismatch",
    });

    const expiring = createKey(store, { consumerId: "alice", prefix: "pk_live", ttlSec: 60 }, now);
    expect(verifier.verify(expiring.key, now + 61_000)).toEqual({
      ok: false,
      reason: "authn.api_key.expired",
    });

    revokeKey(store, record.keyId, now);
    verifier.invalidate();
    expect(verifier.verify(key, now)).toEqual({ ok: false, reason: "authn.api_key.revoked" });
  });

  test("a revocation by another connection shows after invalidation, survives reopening", () => {
    const { store, file } = freshStore();
    const { key, record } = withAlice(store);
    const verifier = createApiKeyVerifier(store);
    expect(verifier.verify(key, Date.now()).ok).toBe(true);

    const before = store.externalChangeCounter();
    const cli = openSqliteStore(file);
    revokeKey(cli, record.keyId, Date.now());
    cli.close();
    expect(store.externalChangeCounter()).not.toBe(before);
    verifier.invalidate();
    expect(verifier.verify(key, Date.now())).toEqual({
      ok: false,
      reason: "authn.api_key.revoked",
    });

    const reopened = openSqliteStore(file);
    stores.push(reopened);
    expect(createApiKeyVerifier(reopened).verify(key, Date.now()).ok).toBe(false);
  });

  test("disabling a consumer revokes all of its keys at once", () => {
    const { store } = freshStore();
    const first = withAlice(store);
    const second = createKey(store, { consumerId: "alice", prefix: "pk_live" }, Date.now());
    expect(disableConsumer(store, "alice", Date.now())).toEqual({ disabled: true, keysRevoked: 2 });
    const verifier = createApiKeyVerifier(store);
    expect(verifier.verify(first.key, Date.now()).ok).toBe(false);
    expect(verifier.verify(second.key, Date.now()).ok).toBe(false);
  });

  test("rotation keeps the old key valid for the grace period only", () => {
    const { store } = freshStore();
    const now = Date.now();
    const old = withAlice(store, now);
    const rotated = rotateKey(store, old.record.keyId, { prefix: "pk_live", graceSec: 30 }, now);
    const verifier = createApiKeyVerifier(store);
    expect(verifier.verify(old.key, now + 29_000).ok).toBe(true);
    expect(verifier.verify(rotated.key, now + 29_000).ok).toBe(true);
    expect(verifier.verify(old.key, now + 31_000)).toEqual({
      ok: false,
      reason: "authn.api_key.expired",
    });
    expect(verifier.verify(rotated.key, now + 31_000).ok).toBe(true);
    expect(store.getKey(old.record.keyId)?.rotatedTo).toBe(rotated.record.keyId);
  });

  test("records last use in batches, never more than once a second per key", () => {
    const { store } = freshStore();
    const now = Date.now();
    const { key, record } = withAlice(store, now - 40 * 86_400_000);
    const verifier = createApiKeyVerifier(store);
    expect(staleKeys(store, 30 * 86_400_000, now).map((k) => k.keyId)).toEqual([record.keyId]);

    for (let i = 0; i < 100; i++) verifier.verify(key, now + i);
    expect(store.getKey(record.keyId)?.lastUsedAtMs).toBeNull();
    verifier.flushLastUsed();
    expect(store.getKey(record.keyId)?.lastUsedAtMs).toBe(now);
    expect(staleKeys(store, 30 * 86_400_000, now)).toEqual([]);
  });

  test("a key verified before still meets revocation, expiry and disable on its next use", () => {
    const { store } = freshStore();
    const now = Date.now();
    addConsumer(store, { id: "carol", scopes: ["read"], expiresAtMs: now + 120_000 }, now);
    const make = (ttlSec?: number) =>
      createKey(store, { consumerId: "carol", prefix: "pk_live", ttlSec }, now);
    const expiring = make(60);
    const revoked = make();
    const disabled = make();
    const verifier = createApiKeyVerifier(store);
    for (const { key } of [expiring, revoked, disabled]) {
      expect(verifier.verify(key, now).ok).toBe(true);
      expect(verifier.verify(key, now + 1).ok).toBe(true);
    }

    expect(verifier.verify(expiring.key, now + 60_000)).toEqual({
      ok: false,
      reason: "authn.api_key.expired",
    });
    expect(verifier.verify(revoked.key, now + 120_000)).toEqual({
      ok: false,
      reason: "authn.api_key.consumer_expired",
    });

    revokeKey(store, revoked.record.keyId, now);
    verifier.invalidate();
    expect(verifier.verify(revoked.key, now)).toEqual({
      ok: false,
      reason: "authn.api_key.revoked",
    });
    expect(verifier.verify(disabled.key, now).ok).toBe(true);
    disableConsumer(store, "carol", now);
    verifier.invalidate();
    expect(verifier.verify(disabled.key, now).ok).toBe(false);
  });

  test("a string one character off a verified key still gets the full check", () => {
    const { store } = freshStore();
    const now = Date.now();
    const { key, record } = withAlice(store, now);
    const verifier = createApiKeyVerifier(store);
    expect(verifier.verify(key, now).ok).toBe(true);

    const last = key.at(-1) === "A" ? "B" : "A";
    expect(verifier.verify(key.slice(0, -1) + last, now)).toEqual({
      ok: false,
      reason: "authn.api_key.malformed",
    });
    expect(verifier.verify(withId(generateApiKey("pk_live").full, record.keyId), now)).toEqual({
      ok: false,
      reason: "authn.api_key.secret_mismatch",
    });
    expect(verifier.verify(`${key} `, now).ok).toBe(false);
    expect(verifier.verify(key, now).ok).toBe(true);
  });

  test("a key's scopes can only narrow its consumer's", () => {
    const { store } = freshStore();
    withAlice(store);
    const narrow = createKey(
      store,
      { consumerId: "alice", prefix: "pk_live", scopes: ["read", "admin"] },
      Date.now(),
    );
    const result = createApiKeyVerifier(store).verify(narrow.key, Date.now());
    expect(result.ok && result.identity.scopes).toEqual(["read"]);
  });
});

/** Rebuilds a key with another key id and a matching checksum. */
function withId(key: string, keyId: string): string {
  const parts = key.split("_");
  const head = `${parts[0]}_${parts[1]}_${keyId}_${parts[3]!.slice(0, 43)}`;
  const alphabet = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";
  let crc = Bun.hash.crc32(head);
  let sum = "";
  for (let i = 0; i < 6; i++) {
    sum = alphabet[crc % 62] + sum;
    crc = Math.floor(crc / 62);
  }
  return head + sum;
}
