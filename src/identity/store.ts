/**
 * The one storage interface for consumers, API keys and signing keys. `bun:sqlite` backs it
 * today (sqlite-store.ts); a shared SQL database can back it later without touching callers.
 * Times are Unix milliseconds; null means "never" / "not set".
 */

export interface ConsumerRecord {
  readonly id: string;
  readonly tenant: string | null;
  readonly roles: readonly string[];
  readonly scopes: readonly string[];
  readonly metadata: Readonly<Record<string, string>>;
  readonly createdAtMs: number;
  readonly expiresAtMs: number | null;
  /** Set by disable: every key was revoked and tokens minted before this time are dead. */
  readonly disabledAtMs: number | null;
  /** `config` rows are rewritten from the config file at start and on reload. */
  readonly source: "config" | "store";
}

export interface ApiKeyRecord {
  readonly keyId: string;
  readonly consumerId: string;
  /** SHA-256 of the whole key. The key itself is never stored. */
  readonly hash: Uint8Array;
  /** Scopes this key is limited to; null means the consumer's scopes. */
  readonly scopes: readonly string[] | null;
  readonly label: string | null;
  readonly createdAtMs: number;
  readonly expiresAtMs: number | null;
  readonly revokedAtMs: number | null;
  /** Key this one was rotated from / to, for the audit trail and `keys list`. */
  readonly rotatedFrom: string | null;
  readonly rotatedTo: string | null;
  readonly lastUsedAtMs: number | null;
}

export interface SigningKeyRecord {
  readonly kid: string;
  readonly alg: "EdDSA" | "ES256";
  /** Private JWK as JSON. Lives only in the store file (mode 0600). */
  readonly privateJwk: string;
  readonly publicJwk: string;
  readonly createdAtMs: number;
  /** When a newer key took over; the public key stays published until its tokens expire. */
  readonly retiredAtMs: number | null;
}

export interface IdentityStore {
  /** Changes whenever another connection (CLI, another node) committed a change. */
  externalChangeCounter(): number;

  getConsumer(id: string): ConsumerRecord | null;
  listConsumers(): ConsumerRecord[];
  /** Inserts or replaces a consumer's attributes; keeps `createdAtMs` and `disabledAtMs`. */
  upsertConsumer(consumer: ConsumerRecord): void;
  /** Marks the consumer disabled and revokes all its keys in one transaction. */
  disableConsumer(id: string, atMs: number): { disabled: boolean; keysRevoked: number };

  insertKey(key: ApiKeyRecord): void;
  getKey(keyId: string): ApiKeyRecord | null;
  listKeys(consumerId?: string): ApiKeyRecord[];
  /** Returns false when the key does not exist; revoking twice keeps the first time. */
  revokeKey(keyId: string, atMs: number): boolean;
  /** Shortens the old key's life to the grace window and links it to its successor. */
  markRotated(keyId: string, successor: string, expiresAtMs: number): void;
  /** Batched: one transaction for many keys; only ever moves a time forward. */
  recordLastUsed(entries: Iterable<readonly [keyId: string, atMs: number]>): void;

  listSigningKeys(): SigningKeyRecord[];
  /** Inserts a key only when no unretired key exists; returns whether it was inserted. */
  insertSigningKeyIfNone(key: SigningKeyRecord): boolean;
  /** Retires every current key and inserts the new one, atomically. */
  rotateSigningKey(key: SigningKeyRecord, atMs: number): void;
  deleteSigningKeysRetiredBefore(atMs: number): void;

  close(): void;
}
