import type { IdentityConfig } from "../../config/sections/identity.ts";
import type { ApiKeyVerifier } from "../../identity/api-key-verifier.ts";
import type { createForwardedCertReader } from "../../identity/forwarded-cert.ts";
import type { Identity } from "../../identity/identity.ts";
import type { ConsumerRecord } from "../../identity/store.ts";
import { ALLOW, type Verdict } from "../../pipeline/verdict.ts";
import type { RequestContext } from "../../server/context.ts";
import { invalidCredentials } from "./answers.ts";

export interface ClientCertChecks {
  /** A request that completed an mTLS handshake on a client-certificate listener. */
  listener(ctx: RequestContext, listenerId: string): Verdict;
  /** A request carrying a trusted terminator's forwarded-certificate header. */
  forwarded(ctx: RequestContext, value: string): Verdict;
}

/**
 * Maps client certificates to consumers of the store, so disabling a consumer cuts off its
 * certificate too. See identity/cert-listeners.ts and identity/forwarded-cert.ts for exactly
 * what each mode verifies.
 */
export function createClientCertChecks(
  section: IdentityConfig,
  consumers: ApiKeyVerifier,
  reader: ReturnType<typeof createForwardedCertReader> | null,
): ClientCertChecks {
  const listenerConsumer = new Map(section.clientCert.listeners.map((l) => [l.id, l.consumer]));
  const identities = new WeakMap<ConsumerRecord, Map<string, Identity>>();

  function admit(ctx: RequestContext, consumerId: string, credentialId: string): Verdict {
    const now = Date.now();
    const consumer = consumers.consumer(consumerId);
    if (!consumer) return invalidCredentials("authn.client_cert.unknown_consumer");
    if (consumer.disabledAtMs !== null)
      return invalidCredentials("authn.client_cert.consumer_disabled");
    if (consumer.expiresAtMs !== null && now >= consumer.expiresAtMs) {
      return invalidCredentials("authn.client_cert.consumer_expired");
    }
    ctx.identity = identityOf(consumer, credentialId);
    return ALLOW;
  }

  function identityOf(consumer: ConsumerRecord, credentialId: string): Identity {
    let byCredential = identities.get(consumer);
    if (!byCredential) identities.set(consumer, (byCredential = new Map()));
    let identity = byCredential.get(credentialId);
    if (!identity) {
      identity = {
        subject: consumer.id,
        kind: "client-cert",
        credentialId,
        tenant: consumer.tenant,
        roles: consumer.roles,
        scopes: consumer.scopes,
        actorChain: [],
        issuer: null,
        email: consumer.metadata.email ?? null,
      };
      if (byCredential.size < 1000) byCredential.set(credentialId, identity);
    }
    return identity;
  }

  return {
    listener(ctx, listenerId) {
      const consumerId = listenerConsumer.get(listenerId);
      if (consumerId === undefined) return invalidCredentials("authn.client_cert.unknown_listener");
      return admit(ctx, consumerId, `listener:${listenerId}`);
    },
    forwarded(ctx, value) {
      if (!reader) return invalidCredentials("authn.client_cert.not_configured");
      const cert = reader(value, Date.now());
      if (typeof cert === "string") return invalidCredentials(cert);
      const credentialId = cert.fingerprint
        ? `cert:${cert.fingerprint.slice(0, 16)}`
        : `cert:${cert.name}`;
      return admit(ctx, cert.name, credentialId);
    },
  };
}
