import { z } from "zod";

const hostPort = z
  .string()
  .regex(
    /^[0-9a-fA-F:.]+:\d{1,5}$|^\[[0-9a-fA-F:]+\]:\d{1,5}$/,
    "use an IP and port such as 10.0.0.2:7946",
  );

/**
 * Gossip membership between gateway nodes: who the peers are, how datagrams are signed, how
 * often counters travel. Owned by the cluster subsystem; see src/cluster/.
 */
export const clusterSchema = z
  .strictObject({
    enabled: z.boolean().default(false),
    /** UDP address this node's gossip socket binds to. */
    bind: z
      .strictObject({
        host: z.string().default("127.0.0.1"),
        port: z.number().int().min(0).max(65535).default(7946),
      })
      .prefault({}),
    /** `ip:port` of some other members; one reachable seed is enough to join. */
    seeds: z.array(hostPort).default([]),
    /** Datagrams naming another cluster are dropped, so two clusters never mix counters. */
    clusterId: z.string().min(1).max(64).default("portcullis"),
    /**
     * Shared HMAC keys (use `${ENV_VAR}`). The first signs; all verify, so a key can be rotated
     * by adding the new one second, then first, then removing the old one.
     */
    keys: z
      .array(z.string().min(32, "cluster keys need at least 32 characters"))
      .min(1)
      .max(2)
      .optional(),
    /** How often each node sends its per-key counters to every live peer. */
    gossipIntervalMs: z.number().int().min(10).max(5_000).default(100),
    /** How often one random member is probed. */
    probeIntervalMs: z.number().int().min(100).default(1_000),
    /** A probe unanswered this long is retried through other members before suspicion. */
    probeTimeoutMs: z.number().int().min(10).default(400),
    /** Members asked to probe on our behalf when a direct probe goes unanswered. */
    indirectProbes: z.number().int().min(0).max(8).default(2),
    /** A member suspected and not heard from for this long after that is declared dead. */
    suspectTimeoutMs: z.number().int().min(100).default(3_000),
    /** Datagrams whose timestamp is further than this from our clock are dropped as stale. */
    maxClockSkewMs: z.number().int().min(1_000).default(30_000),
    /**
     * `available`: once peers are dead, the remaining side takes their share (a two-way split
     * can admit up to twice the limit). `conservative`: dead peers' shares stay reserved for
     * `conservativeGraceMs` (the cluster under-admits instead).
     */
    partitionPolicy: z.enum(["available", "conservative"]).default("available"),
    conservativeGraceMs: z.number().int().min(0).default(30_000),
    /** Test only: exposes POST /cluster/faults (drop probability, blocked peers). */
    faultInjection: z.boolean().default(false),
  })
  .superRefine((value, ctx) => {
    if (value.enabled && !value.keys) {
      const message = "an enabled cluster needs keys (use ${ENV_VAR})";
      ctx.addIssue({ code: "custom", path: ["keys"], message });
    }
    if (value.probeTimeoutMs >= value.probeIntervalMs) {
      const message = "must be shorter than probeIntervalMs";
      ctx.addIssue({ code: "custom", path: ["probeTimeoutMs"], message });
    }
  })
  .prefault({});

export type ClusterConfig = z.infer<typeof clusterSchema>;
