import { withStore } from "../cli/keys.ts";
import { createKey, revokeKey } from "../identity/key-admin.ts";

/** Keys the demo issues are labelled so that the next demo start can revoke them. */
const demoLabel = "demo";
/** A demo key is of no use after a day, whatever happens to the data dir. */
const demoKeyTtlSec = 86_400;

/**
 * Issues a fresh API key for each named consumer and revokes the keys earlier demo runs made.
 * Only hashes are stored, so the full keys exist only in what this returns: the demo prints
 * them to the terminal once, as `keys create` would.
 */
export function issueDemoKeys(configPath: string, consumerIds: readonly string[]) {
  return withStore({ config: configPath }, (store, settings) => {
    const now = Date.now();
    const keys: Record<string, string> = {};
    for (const consumerId of consumerIds) {
      for (const old of store.listKeys(consumerId)) {
        if (old.label === demoLabel && old.revokedAtMs === null) revokeKey(store, old.keyId, now);
      }
      const created = createKey(
        store,
        { consumerId, prefix: settings.prefix, ttlSec: demoKeyTtlSec, label: demoLabel },
        now,
      );
      keys[consumerId] = created.key;
    }
    return keys;
  });
}
