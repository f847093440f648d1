import { Database } from "bun:sqlite";
import { chmodSync, mkdirSync } from "node:fs";
import { dirname } from "node:path";
import type { ApiKeyRecord, ConsumerRecord, IdentityStore, SigningKeyRecord } from "./store.ts";

const schema = `
CREATE TABLE IF NOT EXISTS consumers (
  id TEXT PRIMARY KEY, tenant TEXT, roles TEXT NOT NULL, scopes TEXT NOT NULL,
  metadata TEXT NOT NULL, created_at INTEGER NOT NULL, expires_at INTEGER,
  disabled_at INTEGER, source TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS api_keys (
  key_id TEXT PRIMARY KEY, consumer_id TEXT NOT NULL, hash BLOB NOT NULL, scopes TEXT,
  label TEXT, created_at INTEGER NOT NULL, expires_at INTEGER, revoked_at INTEGER,
  rotated_from TEXT, rotated_to TEXT, last_used_at INTEGER
);
CREATE INDEX IF NOT EXISTS api_keys_consumer ON api_keys (consumer_id);
CREATE TABLE IF NOT EXISTS signing_keys (
  kid TEXT PRIMARY KEY, alg TEXT NOT NULL, private_jwk TEXT NOT NULL, public_jwk TEXT NOT NULL,
  created_at INTEGER NOT NULL, retired_at INTEGER
);`;

type Row = Record<string, unknown>;

/** How long a connection waits for another process's lock before SQLITE_BUSY. */
const busyTimeoutMs = 5000;

/**
 * Opens (creating if needed) the identity store. WAL lets the CLI write while the gateway
 * reads; the busy timeout (set first, so even the journal-mode switch waits) makes a concurrent
 * writer wait instead of failing. Transactions that read before they write start IMMEDIATE, so
 * two processes (CLI, workers, nodes on one file) serialise instead of one failing to upgrade a
 * stale read snapshot.
 */
export function openSqliteStore(file: string): IdentityStore {
  mkdirSync(dirname(file), { recursive: true, mode: 0o700 });
  const db = new Database(file, { create: true, strict: true });
  chmodSync(file, 0o600);
  db.run(`PRAGMA busy_timeout = ${busyTimeoutMs}`);
  switchToWal(db);
  db.run("PRAGMA synchronous = NORMAL");
  db.run(schema);

  const q = {
    version: db.query<{ data_version: number }, []>("PRAGMA data_version"),
    consumer: db.query<Row, [string]>("SELECT * FROM consumers WHERE id = ?"),
    consumers: db.query<Row, []>("SELECT * FROM consumers ORDER BY id"),
    key: db.query<Row, [string]>("SELECT * FROM api_keys WHERE key_id = ?"),
    keys: db.query<Row, []>("SELECT * FROM api_keys ORDER BY consumer_id, created_at"),
    keysOf: db.query<Row, [string]>(
      "SELECT * FROM api_keys WHERE consumer_id = ? ORDER BY created_at",
    ),
    signing: db.query<Row, []>("SELECT * FROM signing_keys ORDER BY created_at"),
  };
  const touch = db.prepare(
    "UPDATE api_keys SET last_used_at = ?2 WHERE key_id = ?1 AND IFNULL(last_used_at, 0) < ?2",
  );

  return {
    externalChangeCounter: () => q.version.get()!.data_version,

    getConsumer: (id) => mapConsumer(q.consumer.get(id)),
    listConsumers: () => q.consumers.all().map((r) => mapConsumer(r)!),
    upsertConsumer(c) {
      db.query(
        `INSERT INTO consumers VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)
        ON CONFLICT (id) DO UPDATE SET tenant = ?2, roles = ?3, scopes = ?4, metadata = ?5,
        expires_at = ?7, source = ?9`,
      ).run(
        c.id,
        c.tenant,
        JSON.stringify(c.roles),
        JSON.stringify(c.scopes),
        JSON.stringify(c.metadata),
        c.createdAtMs,
        c.expiresAtMs,
        c.disabledAtMs,
        c.source,
      );
    },
    disableConsumer: db.transaction((id: string, atMs: number) => {
      const changed = db
        .query("UPDATE consumers SET disabled_at = ?2 WHERE id = ?1 AND disabled_at IS NULL")
        .run(id, atMs).changes;
      const revoked = db
        .query("UPDATE api_keys SET revoked_at = ?2 WHERE consumer_id = ?1 AND revoked_at IS NULL")
        .run(id, atMs).changes;
      return { disabled: changed > 0, keysRevoked: revoked };
    }).immediate,

    insertKey(k) {
      db.query("INSERT INTO api_keys VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11)").run(
        k.keyId,
        k.consumerId,
        k.hash,
        k.scopes ? JSON.stringify(k.scopes) : null,
        k.label,
        k.createdAtMs,
        k.expiresAtMs,
        k.revokedAtMs,
        k.rotatedFrom,
        k.rotatedTo,
        k.lastUsedAtMs,
      );
    },
    getKey: (keyId) => mapKey(q.key.get(keyId)),
    listKeys: (consumerId) =>
      (consumerId === undefined ? q.keys.all() : q.keysOf.all(consumerId)).map((r) => mapKey(r)!),
    revokeKey(keyId, atMs) {
      if (!q.key.get(keyId)) return false;
      db.query("UPDATE api_keys SET revoked_at = ?2 WHERE key_id = ?1 AND revoked_at IS NULL").run(
        keyId,
        atMs,
      );
      return true;
    },
    markRotated(keyId, successor, expiresAtMs) {
      db.query(
        `UPDATE api_keys SET rotated_to = ?2,
        expires_at = MIN(IFNULL(expires_at, ?3), ?3) WHERE key_id = ?1`,
      ).run(keyId, successor, expiresAtMs);
    },
    recordLastUsed: db.transaction((entries: Iterable<readonly [string, number]>) => {
      for (const [keyId, atMs] of entries) touch.run(keyId, atMs);
    }).immediate,

    listSigningKeys: () => q.signing.all().map(mapSigningKey),
    insertSigningKeyIfNone: db.transaction((k: SigningKeyRecord) => {
      const live = db.query("SELECT 1 FROM signing_keys WHERE retired_at IS NULL").get();
      if (live) return false;
      insertSigning(db, k);
      return true;
    }).immediate,
    rotateSigningKey: db.transaction((k: SigningKeyRecord, atMs: number) => {
      db.query("UPDATE signing_keys SET retired_at = ? WHERE retired_at IS NULL").run(atMs);
      insertSigning(db, k);
    }).immediate,
    deleteSigningKeysRetiredBefore(atMs) {
      db.query("DELETE FROM signing_keys WHERE retired_at IS NOT NULL AND retired_at < ?").run(
        atMs,
      );
    },

    close: () => db.close(),
  };
}

/**
 * Puts the file in WAL mode. Workers of `serve --workers N` open a fresh file at the same
 * moment and the switch needs an exclusive lock: the busy timeout set before it makes each one
 * wait its turn. SQLite can still answer SQLITE_BUSY without calling the busy handler (for
 * example SQLITE_BUSY_RECOVERY while another connection recovers the WAL), and the pragma
 * returns the old mode instead of failing when it could not switch; both are retried until the
 * busy timeout runs out.
 */
function switchToWal(db: Database): void {
  const mode = db.query<{ journal_mode: string }, []>("PRAGMA journal_mode = WAL");
  const deadline = Date.now() + busyTimeoutMs;
  for (let attempt = 1; ; attempt++) {
    try {
      if (mode.get()?.journal_mode.toLowerCase() === "wal") return;
      if (Date.now() >= deadline) throw new Error("could not switch the identity store to WAL");
    } catch (error) {
      if (!isBusy(error) || Date.now() >= deadline) throw error;
    }
    Bun.sleepSync(Math.min(5 * attempt, 50));
  }
}

function isBusy(error: unknown): boolean {
  const code = (error as { code?: unknown } | null)?.code;
  return typeof code === "string" && (code === "SQLITE_BUSY" || code.startsWith("SQLITE_BUSY_"));
}

function insertSigning(db: Database, k: SigningKeyRecord): void {
  db.query("INSERT INTO signing_keys VALUES (?1, ?2, ?3, ?4, ?5, ?6)").run(
    k.kid,
    k.alg,
    k.privateJwk,
    k.publicJwk,
    k.createdAtMs,
    k.retiredAtMs,
  );
}

function mapConsumer(r: Row | null): ConsumerRecord | null {
  if (!r) return null;
  return {
    id: r.id as string,
    tenant: (r.tenant as string | null) ?? null,
    roles: JSON.parse(r.roles as string),
    scopes: JSON.parse(r.scopes as string),
    metadata: JSON.parse(r.metadata as string),
    createdAtMs: r.created_at as number,
    expiresAtMs: (r.expires_at as number | null) ?? null,
    disabledAtMs: (r.disabled_at as number | null) ?? null,
    source: r.source === "config" ? "config" : "store",
  };
}

function mapKey(r: Row | null): ApiKeyRecord | null {
  if (!r) return null;
  return {
    keyId: r.key_id as string,
    consumerId: r.consumer_id as string,
    hash: r.hash as Uint8Array,
    scopes: r.scopes === null ? null : JSON.parse(r.scopes as string),
    label: (r.label as string | null) ?? null,
    createdAtMs: r.created_at as number,
    expiresAtMs: (r.expires_at as number | null) ?? null,
    revokedAtMs: (r.revoked_at as number | null) ?? null,
    rotatedFrom: (r.rotated_from as string | null) ?? null,
    rotatedTo: (r.rotated_to as string | null) ?? null,
    lastUsedAtMs: (r.last_used_at as number | null) ?? null,
  };
}

function mapSigningKey(r: Row): SigningKeyRecord {
  return {
    kid: r.kid as string,
    alg: r.alg === "ES256" ? "ES256" : "EdDSA",
    privateJwk: r.private_jwk as string,
    publicJwk: r.public_jwk as string,
    createdAtMs: r.created_at as number,
    retiredAtMs: (r.retired_at as number | null) ?? null,
  };
}
