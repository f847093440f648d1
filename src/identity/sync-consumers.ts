import type { ConsumerConfig } from "../config/sections/identity.ts";
import type { IdentityStore } from "./store.ts";

/**
 * Writes consumers declared in the config file into the store (marked `source: config`), so
 * keys can be issued for them and every node sees one list. Config attributes win over the
 * store's; a consumer marked `disabled` is disabled with all its keys. Consumers removed from
 * the config stay in the store: removing a line is not a revocation, `consumers disable` is.
 */
export function syncConfigConsumers(
  store: IdentityStore,
  consumers: readonly ConsumerConfig[],
  nowMs: number,
): void {
  for (const c of consumers) {
    const existing = store.getConsumer(c.id);
    store.upsertConsumer({
      id: c.id,
      tenant: c.tenant ?? null,
      roles: c.roles,
      scopes: c.scopes,
      metadata: c.metadata,
      createdAtMs: existing?.createdAtMs ?? nowMs,
      expiresAtMs: c.expiresAt ? Date.parse(c.expiresAt) : null,
      disabledAtMs: existing?.disabledAtMs ?? null,
      source: "config",
    });
    if (c.disabled && existing?.disabledAtMs == null) store.disableConsumer(c.id, nowMs);
  }
}
