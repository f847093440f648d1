import type { ClusterService } from "../cluster/cluster-service.ts";
import type { GatewayConfig } from "../config/schema.ts";
import type { Logger } from "../log/logger.ts";
import { GossipLimiter } from "./gossip-limiter.ts";
import { LocalLimiter } from "./local-limiter.ts";
import type { KeyTableOptions, RateLimiter } from "./rate-limiter.ts";

/** The limiter engine and its key-table settings, kept across reloads. */
export interface LimitService {
  readonly limiter: RateLimiter;
  /** Applies a reloaded config's key-table settings (the engine itself is fixed at start). */
  reconfigure(config: GatewayConfig): void;
  close(): void;
}

/**
 * Picks the engine: `gossip` needs a running cluster, `local` never uses one, `auto` gossips
 * whenever the cluster runs (which it does for every `--workers` process).
 */
export function createLimitService(
  config: GatewayConfig,
  cluster: ClusterService,
  logger: Logger,
): LimitService {
  const settings = config.rateLimits;
  const wantsGossip =
    settings.engine === "gossip" || (settings.engine === "auto" && cluster.gossip !== null);
  if (settings.engine === "gossip" && !cluster.gossip) {
    logger.warn("rateLimits.engine is gossip but the cluster is disabled; limits are per node");
  }
  const limiter: RateLimiter =
    wantsGossip && cluster.gossip
      ? new GossipLimiter(cluster.gossip, tableOptions(config))
      : new LocalLimiter(tableOptions(config));
  logger.info({ engine: limiter.engine, maxKeys: settings.maxKeys }, "rate limiter ready");
  return {
    limiter,
    reconfigure: (next) => limiter.configure(tableOptions(next)),
    close: () => limiter.close(),
  };
}

function tableOptions(config: GatewayConfig): KeyTableOptions {
  const { maxKeys, onMaxKeys, idleEvictMs } = config.rateLimits;
  return { maxKeys, onMaxKeys, idleEvictMs };
}
