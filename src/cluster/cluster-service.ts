import type { ClusterConfig } from "../config/sections/cluster.ts";
import type { Logger } from "../log/logger.ts";
import type { BroadcastHandler } from "./broadcast.ts";
import { GossipCluster } from "./cluster.ts";
import type { ClusterStats } from "./cluster-stats.ts";
import { workerClusterOverrides } from "./workers.ts";

/**
 * What other subsystems see of the cluster. Identity uses the broadcast channel to spread API
 * key revocations and consumer disables:
 *
 *   services.cluster.on("identity.revoke", (payload, from) => ...);
 *   services.cluster.broadcast("identity.revoke", JSON.stringify({ keyId }));
 *
 * On a single node (cluster disabled) `broadcast` does nothing and handlers are never called.
 */
export interface ClusterService {
  readonly enabled: boolean;
  readonly nodeId: string;
  broadcast(topic: string, payload: Uint8Array | string): void;
  on(topic: string, handler: BroadcastHandler): () => void;
  /** The running gossip cluster, or null on a single node. */
  readonly gossip: GossipCluster | null;
  close(): Promise<void>;
}

/** Starts the gossip cluster when enabled (or when this process is one of several workers). */
export async function createClusterService(
  config: ClusterConfig,
  nodeId: string,
  logger: Logger,
): Promise<ClusterService> {
  const settings = workerClusterOverrides(config, nodeId);
  if (!settings.enabled) return singleNode(nodeId);
  const gossip = await GossipCluster.start(settings, logger);
  return {
    enabled: true,
    nodeId: settings.nodeId,
    gossip,
    broadcast: (topic, payload) => gossip.broadcast(topic, payload),
    on: (topic, handler) => gossip.on(topic, handler),
    close: () => gossip.close(),
  };
}

function singleNode(nodeId: string): ClusterService {
  return {
    enabled: false,
    nodeId,
    gossip: null,
    broadcast: () => {},
    on: () => () => {},
    close: async () => {},
  };
}

export type { ClusterStats };
