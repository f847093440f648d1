import { createPrivateKey, generateKeyPairSync, type KeyObject } from "node:crypto";
import { importKeySet, type KeySet } from "./jwk-set.ts";
import type { KeyLookup, KeySource } from "./jwks-source.ts";
import { jwkThumbprint } from "./jws-sign.ts";
import type { IdentityStore, SigningKeyRecord } from "./store.ts";

export type SigningAlgorithm = "EdDSA" | "ES256";

/** The gateway's own token-signing keys: one active, older ones published until unused. */
export interface SigningKeys {
  /** The key new tokens are signed with. */
  active(): { readonly kid: string; readonly alg: SigningAlgorithm; readonly key: KeyObject };
  /** RFC 7517 JWK Set of every public key whose tokens may still be valid. */
  jwks(): { readonly keys: readonly Record<string, unknown>[] };
  /** Verification keys for the gateway's own tokens. */
  readonly source: KeySource;
  /** Re-reads the store (after a CLI rotation or another node's); prunes keys long retired. */
  reload(): Promise<void>;
  /** Generates a new key, retires the current one; returns the new kid. */
  rotate(): Promise<string>;
}

/** Creates a signing key record. The private JWK goes only into the store. */
export function generateSigningKey(alg: SigningAlgorithm, nowMs: number): SigningKeyRecord {
  const pair =
    alg === "ES256"
      ? generateKeyPairSync("ec", { namedCurve: "P-256" })
      : generateKeyPairSync("ed25519");
  const privateJwk = pair.privateKey.export({ format: "jwk" }) as Record<string, unknown>;
  const publicJwk = pair.publicKey.export({ format: "jwk" }) as Record<string, unknown>;
  const kid = jwkThumbprint(publicJwk);
  const published = { ...publicJwk, kid, alg, use: "sig" };
  return {
    kid,
    alg,
    privateJwk: JSON.stringify(privateJwk),
    publicJwk: JSON.stringify(published),
    createdAtMs: nowMs,
    retiredAtMs: null,
  };
}

/**
 * Loads the signing keys from the store, generating the first one on first start. A retired
 * key stays published and accepted for `publishWindowMs` (the longest token life plus leeway),
 * then is deleted.
 */
export async function createSigningKeys(
  store: IdentityStore,
  alg: SigningAlgorithm,
  publishWindowMs: number,
): Promise<SigningKeys> {
  store.insertSigningKeyIfNone(generateSigningKey(alg, Date.now()));

  let current: ReturnType<SigningKeys["active"]>;
  let published: Record<string, unknown>[] = [];
  let keySet: KeySet | null = null;
  let generation = 0;
  let fingerprint = "";

  async function reload(): Promise<void> {
    const now = Date.now();
    store.deleteSigningKeysRetiredBefore(now - publishWindowMs);
    const records = store.listSigningKeys();
    const live = records.filter((r) => r.retiredAtMs === null).at(-1);
    if (!live) throw new Error("no active signing key in the identity store");

    published = records.map((r) => JSON.parse(r.publicJwk));
    const next = records.map((r) => r.kid).join(",");
    if (next !== fingerprint) {
      keySet = await importKeySet({ keys: published }, new Set(["EdDSA", "ES256"]));
      fingerprint = next;
      generation++;
    }
    current = {
      kid: live.kid,
      alg: live.alg,
      key: createPrivateKey({ key: JSON.parse(live.privateJwk), format: "jwk" }),
    };
  }

  await reload();
  const source: KeySource = {
    get generation() {
      return generation;
    },
    lookup(kid, headerAlg): KeyLookup {
      const key = kid === undefined ? undefined : keySet?.get(kid)?.get(headerAlg);
      return key ? { key } : { missing: "unknown_kid" };
    },
    close() {},
  };

  return {
    active: () => current,
    jwks: () => ({ keys: published }),
    source,
    reload,
    async rotate() {
      const record = generateSigningKey(alg, Date.now());
      store.rotateSigningKey(record, Date.now());
      await reload();
      return record.kid;
    },
  };
}
