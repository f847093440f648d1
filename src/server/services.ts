import type { GatewayConfig } from "../config/schema.ts";
import type { Logger } from "../log/logger.ts";
import { createAuditTrail, type AuditTrail } from "../audit/trail.ts";
import { createMetrics, type Metrics } from "../metrics/metrics.ts";
import { createIdentityService, type IdentityService } from "../identity/service.ts";
import { createClusterService, type ClusterService } from "../cluster/cluster-service.ts";
import { createLimitService, type LimitService } from "../limit/limit-service.ts";

/**
 * Long-lived state created once at start and kept across config reloads: stores, caches,
 * the limiter, the audit writer, cluster membership. Each subsystem adds one field here.
 */
export interface Services {
  readonly logger: Logger;
  /** Audit trail: `admit()` before forwarding, `record()` once per request. */
  readonly audit: AuditTrail;
  readonly metrics: Metrics;
  /** Consumers, API keys, JWT issuers, minted tokens (identity/service.ts). */
  readonly identity: IdentityService;
  /** Gossip membership and the broadcast channel (cluster/cluster-service.ts). */
  readonly cluster: ClusterService;
  /** The rate-limiter engine, local or gossip (limit/limit-service.ts). */
  readonly limits: LimitService;
  /** Called after a new config was compiled and swapped in. */
  readonly reconfigureHooks: Array<(config: GatewayConfig) => void | Promise<void>>;
  /** Called on shutdown, in reverse order of registration. */
  readonly closeHooks: Array<() => void | Promise<void>>;
}

/** Creates every subsystem's long-lived state for a freshly loaded config. */
export async function createServices(config: GatewayConfig, logger: Logger): Promise<Services> {
  const audit = createAuditTrail(config, logger);
  const metrics = createMetrics(audit);
  const cluster = await createClusterService(config.cluster, config.nodeId, logger);
  const limits = createLimitService(config, cluster, logger);
  const identity = await createIdentityService(config, logger, cluster);
  const services: Services = {
    logger, audit, metrics, identity, cluster, limits, reconfigureHooks: [], closeHooks: [],
  };
  // Registered first so it runs last: every other subsystem has stopped producing records.
  services.closeHooks.push(() => audit.close());
  services.reconfigureHooks.push((next) => identity.reconfigure(next));
  services.closeHooks.push(() => identity.close());
  services.reconfigureHooks.push((next) => limits.reconfigure(next));
  services.closeHooks.push(() => cluster.close(), () => limits.close());
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
