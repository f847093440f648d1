import { readBoundedText } from "./bounded-body.ts";
import { importKeySet, keySetFingerprint, type KeySet } from "./jwk-set.ts";

/** What a key lookup found; `missing` reasons go to audit. */
export type KeyLookup =
  { readonly key: CryptoKey } | { readonly missing: "unknown_kid" | "keys_unavailable" };

/** Where an issuer's verification keys come from: a remote JWKS, static keys, or our store. */
export interface KeySource {
  /** Synchronous when the key is known; waits (bounded) only on first load or unknown kid. */
  lookup(kid: string | undefined, alg: string): KeyLookup | Promise<KeyLookup>;
  /** Changes whenever the usable key set changes, so cached verifications can be dropped. */
  readonly generation: number;
  close(): void;
}

export interface RemoteJwksOptions {
  readonly url: string;
  readonly algorithms: ReadonlySet<string>;
  readonly refreshIntervalMs: number;
  readonly minRefetchIntervalMs: number;
  readonly fetchTimeoutMs: number;
  readonly retryIntervalMs: number;
  readonly maxBytes: number;
  /** Told about refresh failures (never about tokens); the caller logs them. */
  readonly onRefreshError?: (reason: string) => void;
}

/**
 * A remote JWKS kept in memory: fetched at start, refreshed on a schedule, refetched at most
 * once per `minRefetchIntervalMs` when a token names an unknown `kid` (so random kids cannot
 * turn the gateway into a load generator against the IdP), and never replaced by a failed,
 * empty or invalid response: the last good keys stay in use while the IdP is down.
 * The `jku`, `x5u` and `jwk` header parameters are never followed (RFC 8725 §3.10).
 */
export function createRemoteJwksSource(options: RemoteJwksOptions): KeySource {
  let keys: KeySet | null = null;
  let fingerprint = "";
  let generation = 0;
  let inFlight: Promise<void> | null = null;
  let lastOnDemandMs = -Infinity;
  let timer: ReturnType<typeof setTimeout> | null = null;
  let closed = false;

  async function fetchOnce(): Promise<boolean> {
    const abort = new AbortController();
    try {
      const response = await fetch(options.url, {
        headers: { accept: "application/jwk-set+json, application/json" },
        redirect: "error",
        signal: AbortSignal.any([abort.signal, AbortSignal.timeout(options.fetchTimeoutMs)]),
      });
      if (response.status !== 200) return failed(`status ${response.status}`, response);
      // A hostile or broken IdP may send gigabytes: stop reading past maxBytes and drop the
      // connection, rather than buffering the whole body first.
      const text = await readBoundedText(response, options.maxBytes);
      if (text === null) {
        abort.abort();
        return failed("document too large");
      }
      const document: unknown = JSON.parse(text);
      const imported = await importKeySet(document, options.algorithms);
      if (!imported) return failed("no usable key in document");

      const next = keySetFingerprint(document);
      if (next !== fingerprint) generation++;
      fingerprint = next;
      keys = imported;
      return true;
    } catch (error) {
      return failed(
        (error as Error).name === "SyntaxError" ? "invalid JSON" : (error as Error).name,
      );
    }
  }

  function failed(reason: string, response?: Response): false {
    response?.body?.cancel().catch(() => {});
    options.onRefreshError?.(reason);
    return false;
  }

  function refresh(): Promise<void> {
    inFlight ??= fetchOnce().then((ok) => {
      inFlight = null;
      schedule(ok ? options.refreshIntervalMs : options.retryIntervalMs);
    });
    return inFlight;
  }

  function schedule(delayMs: number): void {
    if (closed) return;
    if (timer) clearTimeout(timer);
    timer = setTimeout(refresh, delayMs);
    timer.unref?.();
  }

  function find(kid: string | undefined, alg: string): CryptoKey | null {
    if (!keys) return null;
    if (kid !== undefined) return keys.get(kid)?.get(alg) ?? null;
    // No kid: usable only when exactly one key fits the algorithm.
    let only: CryptoKey | null = null;
    for (const byAlg of keys.values()) {
      const key = byAlg.get(alg);
      if (key && only) return null;
      if (key) only = key;
    }
    return only;
  }

  async function lookupAfterFetch(kid: string | undefined, alg: string): Promise<KeyLookup> {
    await refresh();
    const key = find(kid, alg);
    if (key) return { key };
    return keys ? { missing: "unknown_kid" } : { missing: "keys_unavailable" };
  }

  refresh();
  return {
    get generation() {
      return generation;
    },
    lookup(kid, alg) {
      const key = find(kid, alg);
      if (key) return { key };
      if (!keys && inFlight) return lookupAfterFetch(kid, alg);

      const now = performance.now();
      if (now - lastOnDemandMs < options.minRefetchIntervalMs) {
        return keys ? { missing: "unknown_kid" } : { missing: "keys_unavailable" };
      }
      lastOnDemandMs = now;
      return lookupAfterFetch(kid, alg);
    },
    close() {
      closed = true;
      if (timer) clearTimeout(timer);
    },
  };
}

/** Keys given in the config: imported once, never refreshed. */
export function createStaticKeySource(document: unknown, algorithms: ReadonlySet<string>) {
  let keys: KeySet | null = null;
  const ready = importKeySet(document, algorithms).then((set) => {
    keys = set;
  });
  const find = (kid: string | undefined, alg: string): KeyLookup => {
    if (!keys) return { missing: "keys_unavailable" };
    const byAlg =
      kid !== undefined ? keys.get(kid) : keys.size === 1 ? [...keys.values()][0] : null;
    const key = byAlg?.get(alg);
    return key ? { key } : { missing: "unknown_kid" };
  };
  const source: KeySource = {
    generation: 1,
    lookup: (kid, alg) => (keys ? find(kid, alg) : ready.then(() => find(kid, alg))),
    close() {},
  };
  return source;
}
