import type { GatewayConfig } from "../config/schema.ts";
import type { Logger } from "../log/logger.ts";

/**
 * Long-lived state created once at start and kept across config reloads: stores, caches,
 * the limiter, the audit writer, cluster membership. Each subsystem adds one field here.
 */
export interface Services {
  readonly logger: Logger;
  /** Called after a new config was compiled and swapped in. */
  readonly reconfigureHooks: Array<(config: GatewayConfig) => void | Promise<void>>;
  /** Called on shutdown, in reverse order of registration. */
  readonly closeHooks: Array<() => void | Promise<void>>;
}

/** Creates every subsystem's long-lived state for a freshly loaded config. */
export async function createServices(config: GatewayConfig, logger: Logger): Promise<Services> {
  const services: Services = { logger, reconfigureHooks: [], closeHooks: [] };
  return services;
}

export async function closeServices(services: Services): Promise<void> {
  for (const close of [...services.closeHooks].reverse()) {
    try {
      await close();
    } catch (error) {
      services.logger.error({ err: error }, "error while closing a subsystem");
    }
  }
}
