import type { Identity } from "./identity.ts";
import type { IssuerVerifier } from "./jwt-verifier.ts";

/** One verified token: which issuer verifier vouched for it, with which key generation. */
export interface VerifiedToken {
  readonly verifier: IssuerVerifier;
  readonly keyGeneration: number;
  readonly identity: Identity;
  /** The token's time rules (nbf, iat, exp, maximum age) as one window, checked on every hit. */
  readonly validFromMs: number;
  readonly validUntilMs: number;
  readonly issuedAtSec: number;
}

/**
 * Verified tokens by SHA-256 of the token, so the hot path does not re-check a signature per
 * request and the cache never holds a usable token. An entry is good only inside the window the
 * issuer's time rules allow (`exp` plus leeway, `maxTokenAgeSec` after `iat`, not before `nbf`)
 * and only while its issuer's key set is unchanged: a key the issuer removed stops validating
 * cached tokens at the next refresh. Insertion order doubles as eviction order.
 */
export interface TokenCache {
  /** Base64 SHA-256 of the token; computed once per request and used for get and set. */
  keyOf(token: string): string;
  get(key: string, nowMs: number): VerifiedToken | null;
  set(key: string, entry: VerifiedToken): void;
  clear(): void;
}

export function createTokenCache(maxEntries: number): TokenCache {
  const entries = new Map<string, VerifiedToken>();
  return {
    keyOf: (token) => Bun.SHA256.hash(token, "base64"),
    get(key, nowMs) {
      const entry = entries.get(key);
      if (!entry) return null;
      if (nowMs >= entry.validUntilMs || entry.keyGeneration !== entry.verifier.source.generation) {
        entries.delete(key);
        return null;
      }
      // Before nbf (a clock stepped back): miss, but keep the entry for when it becomes valid.
      if (nowMs < entry.validFromMs) return null;
      return entry;
    },
    set(key, entry) {
      if (maxEntries <= 0 || entry.verifier.cacheMaxEntries <= 0) return;
      if (entries.size >= maxEntries) {
        const oldest = entries.keys().next().value;
        if (oldest !== undefined) entries.delete(oldest);
      }
      entries.set(key, entry);
    },
    clear: () => entries.clear(),
  };
}
