import { isAbsolute, join } from "node:path";
import type { GatewayConfig } from "../config/schema.ts";
import {
  gatewayIssuerId,
  type IdentityConfig,
  type IssuerConfig,
} from "../config/sections/identity.ts";
import type { Logger } from "../log/logger.ts";
import { configureIdentityHeaders } from "../proxy/identity-headers.ts";
import { createApiKeyVerifier, type ApiKeyVerifier } from "./api-key-verifier.ts";
import { createForwardedCertReader } from "./forwarded-cert.ts";
import { createIssuerVerifier, type IssuerVerifier } from "./jwt-verifier.ts";
import { createIssuerFromConfig } from "./issuer-from-config.ts";
import {
  createRevocationGossip,
  type RevocationChannel,
  type RevocationGossip,
} from "./revocation-gossip.ts";
import { createSigningKeys, type SigningKeys } from "./signing-keys.ts";
import { openSqliteStore } from "./sqlite-store.ts";
import type { IdentityStore } from "./store.ts";
import { syncConfigConsumers } from "./sync-consumers.ts";
import { createTokenCache, type TokenCache } from "./token-cache.ts";
import { createTokenMinter, type TokenMinter } from "./token-minter.ts";

/** Longest life of any token the gateway mints (upstream tokens are capped at one hour). */
const maxUpstreamTokenSec = 3600;

/**
 * Identity state that outlives config reloads: the store, the API-key cache, JWKS caches,
 * verified tokens and signing keys. Verifiers are memoised by their config text, so an issuer
 * whose settings did not change keeps its keys and cache across a reload.
 */
export interface IdentityService {
  readonly store: IdentityStore;
  readonly apiKeys: ApiKeyVerifier;
  readonly signingKeys: SigningKeys;
  readonly minter: TokenMinter;
  readonly tokenCache: TokenCache;
  /** Spreads key revocations and consumer disables to the other cluster nodes. */
  readonly revocations: RevocationGossip;
  /** The identity section currently in force. */
  current(): IdentityConfig;
  /** Verifier for an issuer id of the given config (`gateway` = our own tokens). */
  issuer(config: IdentityConfig, id: string): IssuerVerifier | null;
  forwardedCertReader(config: IdentityConfig): ReturnType<typeof createForwardedCertReader> | null;
  /** Call after this process changed the store, so the next request sees the change. */
  changed(): void;
  reconfigure(config: GatewayConfig): Promise<void>;
  close(): void;
}

/** Where the identity store lives for a config (the CLI opens the same file). */
export function identityStorePath(config: GatewayConfig): string {
  const file = config.identity.store.file;
  return isAbsolute(file) ? file : join(config.dataDir, file);
}

export async function createIdentityService(
  config: GatewayConfig,
  logger: Logger,
  cluster?: RevocationChannel,
): Promise<IdentityService> {
  let identity = config.identity;
  const store = openSqliteStore(identityStorePath(config));
  syncConfigConsumers(store, identity.consumers, Date.now());
  const apiKeys = createApiKeyVerifier(store);
  const revocations = createRevocationGossip({
    store,
    channel: cluster,
    logger,
    applied: () => apiKeys.invalidate(),
  });
  const publishWindowMs = (Math.max(identity.tokens.ttlSec, maxUpstreamTokenSec) + 60) * 1000;
  const signingKeys = await createSigningKeys(store, identity.tokens.algorithm, publishWindowMs);
  let minter = createTokenMinter(signingKeys, identity.tokens.issuer);
  const tokenCache = createTokenCache(10_000);
  const verifiers = new Map<string, IssuerVerifier>();
  const certReaders = new Map<string, ReturnType<typeof createForwardedCertReader>>();
  configureIdentityHeaders(identity, () => minter);
  logger.info(
    { store: identityStorePath(config), signingKey: signingKeys.active().kid },
    "identity store open",
  );

  let lastVersion = store.externalChangeCounter();
  const poll = setInterval(() => {
    const version = store.externalChangeCounter();
    if (version === lastVersion) return;
    lastVersion = version;
    apiKeys.invalidate();
    revocations.storeChanged();
    signingKeys.reload().catch((err) => logger.error({ err }, "signing keys reload failed"));
  }, identity.store.pollMs);
  const flush = setInterval(flushLastUsed, identity.store.lastUsedFlushMs);
  const prune = setInterval(() => void signingKeys.reload().catch(() => {}), 60_000);
  for (const timer of [poll, flush, prune]) timer.unref();

  function flushLastUsed(): void {
    try {
      apiKeys.flushLastUsed();
    } catch (err) {
      logger.warn({ err }, "could not record API key last-used times; will retry");
    }
  }

  function gatewayVerifier(tokens: IdentityConfig["tokens"]): IssuerVerifier {
    return createIssuerVerifier({
      id: gatewayIssuerId,
      rules: {
        issuer: tokens.issuer,
        audiences: new Set([tokens.audience]),
        leewaySec: tokens.leewaySec,
      },
      names: { subject: "sub", tenant: "tenant", roles: "roles", scopes: "scope", email: "email" },
      algorithms: new Set(["EdDSA", "ES256"]),
      source: signingKeys.source,
      kind: "minted-token",
      onError: "deny",
      cacheMaxEntries: 10_000,
      // Revoking the source key or disabling the consumer stops minted tokens at once.
      stillValid(who, _iat, nowMs) {
        const keyProblem = who.sourceKeyId ? apiKeys.keyStatus(who.sourceKeyId, nowMs) : null;
        if (keyProblem) return "authn.jwt.revoked";
        if (apiKeys.consumer(who.subject)?.disabledAtMs != null) return "authn.jwt.revoked";
        return null;
      },
    });
  }

  function issuer(section: IdentityConfig, id: string): IssuerVerifier | null {
    const settings: IssuerConfig | IdentityConfig["tokens"] | undefined =
      id === gatewayIssuerId ? section.tokens : section.issuers.find((i) => i.id === id);
    if (!settings) return null;
    const memoKey = `${id}\n${JSON.stringify(settings)}`;
    let verifier = verifiers.get(memoKey);
    if (!verifier) {
      verifier =
        id === gatewayIssuerId
          ? gatewayVerifier(section.tokens)
          : createIssuerFromConfig(settings as IssuerConfig, logger);
      verifiers.set(memoKey, verifier);
    }
    return verifier;
  }

  return {
    store,
    apiKeys,
    signingKeys,
    get minter() {
      return minter;
    },
    tokenCache,
    revocations,
    current: () => identity,
    issuer,
    forwardedCertReader(section) {
      const settings = section.clientCert.forwarded;
      if (!settings) return null;
      const memoKey = JSON.stringify(settings);
      let reader = certReaders.get(memoKey);
      if (!reader) certReaders.set(memoKey, (reader = createForwardedCertReader(settings)));
      return reader;
    },
    changed: () => apiKeys.invalidate(),
    async reconfigure(next) {
      identity = next.identity;
      syncConfigConsumers(store, identity.consumers, Date.now());
      apiKeys.invalidate();
      revocations.storeChanged();
      minter = createTokenMinter(signingKeys, identity.tokens.issuer);
      configureIdentityHeaders(identity, () => minter);
      const keep = new Set([gatewayIssuerId, ...identity.issuers.map((i) => i.id)]);
      for (const [memoKey, verifier] of verifiers) {
        const settings =
          verifier.id === gatewayIssuerId
            ? identity.tokens
            : identity.issuers.find((i) => i.id === verifier.id);
        if (!keep.has(verifier.id) || memoKey !== `${verifier.id}\n${JSON.stringify(settings)}`) {
          verifier.close();
          verifiers.delete(memoKey);
        }
      }
    },
    close() {
      for (const timer of [poll, flush, prune]) clearInterval(timer);
      revocations.close();
      flushLastUsed();
      for (const verifier of verifiers.values()) verifier.close();
      store.close();
    },
  };
}
