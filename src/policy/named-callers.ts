import type { GatewayConfig } from "../config/schema.ts";

/** A caller as explain, test and matrix describe it: what an identity would carry. */
export interface CallerSpec {
  /** Identity or consumer name, when the caller was named. */
  readonly name: string | null;
  readonly roles: readonly string[];
  readonly scopes: readonly string[];
  readonly tenant: string | null;
}

/**
 * Finds a caller by name: `policy.identities` first, then consumers declared in the identity
 * section. Returns null when neither knows the name.
 */
export function namedCaller(config: GatewayConfig, name: string): CallerSpec | null {
  const declared = Object.hasOwn(config.policy.identities, name)
    ? config.policy.identities[name]
    : undefined;
  if (declared) {
    const { roles, scopes } = declared;
    return { name, roles, scopes, tenant: declared.tenant ?? null };
  }
  const consumer = config.identity.consumers.find((c) => c.id === name);
  if (consumer) {
    const { roles, scopes } = consumer;
    return { name, roles, scopes, tenant: consumer.tenant ?? null };
  }
  return null;
}

/** Every name `namedCaller` knows, for error messages. */
export function knownCallerNames(config: GatewayConfig): string[] {
  const names = new Set(Object.keys(config.policy.identities));
  for (const consumer of config.identity.consumers) names.add(consumer.id);
  return [...names];
}
