import type { z } from "zod";
import type { upstreamSchema } from "../config/sections/upstreams.ts";
import { ConnectionPool, type PoolStats } from "./connection-pool.ts";

export type UpstreamConfig = z.infer<typeof upstreamSchema>;

/** One target of an upstream, with its connection pool and passive-health state. */
export interface UpstreamTarget {
  /** `http://host:port`, for logs and `ctx.upstreamTarget`. */
  readonly origin: string;
  /** The Host field sent upstream: the target's own authority, as a virtual host expects. */
  readonly hostHeader: string;
  /** False for `https:` targets, which go through Bun's fetch instead of the pool. */
  readonly pooled: boolean;
  readonly pool: ConnectionPool;
  /** Failures in a row since the last success. */
  consecutiveFailures: number;
  /** `performance.now()` until which the target is skipped; 0 when healthy. */
  downUntil: number;
  lastFailureAt: number;
}

export interface TargetStats extends PoolStats {
  readonly origin: string;
  readonly healthy: boolean;
  readonly consecutiveFailures: number;
}

/**
 * A named set of targets. `pick` is round robin over the targets not in cooldown; a target that
 * fails `passiveHealth.failures` times in a row sits out `cooldownMs`.
 *
 * When every target is in cooldown, `pick` returns the one that failed longest ago instead of
 * answering 503 at once: with one or two targets a single blip would otherwise turn into
 * `cooldownMs` of refusals, while a probe costs one request that fails as it would have anyway.
 */
export interface Upstream {
  readonly name: string;
  readonly settings: UpstreamConfig;
  readonly targets: readonly UpstreamTarget[];
  /** The next target, skipping `exclude` (the one that just failed); null if none is left. */
  pick(exclude?: UpstreamTarget | null): UpstreamTarget | null;
  reportSuccess(target: UpstreamTarget): void;
  reportFailure(target: UpstreamTarget): void;
  stats(): TargetStats[];
  /** Closes idle connections (shutdown, or the upstream was dropped by a reload). */
  close(): void;
}

export function createUpstream(name: string, settings: UpstreamConfig): Upstream {
  const targets = settings.targets.map((url) => createTarget(url, settings));
  const { failures: threshold, cooldownMs } = settings.passiveHealth;
  let next = 0;

  function pick(exclude: UpstreamTarget | null = null): UpstreamTarget | null {
    const count = targets.length;
    if (count === 1) return targets[0] === exclude ? null : targets[0]!;
    const now = performance.now();
    for (let i = 0; i < count; i++) {
      const index = (next + i) % count;
      const target = targets[index]!;
      if (target === exclude || target.downUntil > now) continue;
      next = (index + 1) % count;
      return target;
    }
    return leastRecentlyFailed(targets, exclude);
  }

  return {
    name,
    settings,
    targets,
    pick,
    reportSuccess(target) {
      if (target.consecutiveFailures === 0) return;
      target.consecutiveFailures = 0;
      target.downUntil = 0;
    },
    reportFailure(target) {
      const now = performance.now();
      target.lastFailureAt = now;
      if (++target.consecutiveFailures >= threshold) target.downUntil = now + cooldownMs;
    },
    stats: () =>
      targets.map((t) => ({
        origin: t.origin,
        healthy: t.downUntil <= performance.now(),
        consecutiveFailures: t.consecutiveFailures,
        ...t.pool.stats(),
      })),
    close() {
      for (const target of targets) target.pool.close();
    },
  };
}

function createTarget(url: string, settings: UpstreamConfig): UpstreamTarget {
  const parsed = new URL(url);
  const secure = parsed.protocol === "https:";
  const port = parsed.port === "" ? (secure ? 443 : 80) : Number(parsed.port);
  // URL keeps IPv6 literals bracketed; sockets want them bare.
  const hostname = parsed.hostname.replace(/^\[(.*)\]$/, "$1");
  return {
    origin: parsed.origin,
    hostHeader: parsed.host,
    pooled: !secure,
    pool: new ConnectionPool({
      hostname,
      port,
      maxIdle: settings.maxIdleConnections,
      idleTimeoutMs: settings.idleTimeoutMs,
    }),
    consecutiveFailures: 0,
    downUntil: 0,
    lastFailureAt: 0,
  };
}

function leastRecentlyFailed(
  targets: readonly UpstreamTarget[],
  exclude: UpstreamTarget | null,
): UpstreamTarget | null {
  let best: UpstreamTarget | null = null;
  for (const target of targets) {
    if (target === exclude) continue;
    if (best === null || target.lastFailureAt < best.lastFailureAt) best = target;
  }
  return best;
}
