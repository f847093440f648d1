import { runLoad, type RunLoadOptions } from "../load/runner.ts";
import type { LoadResult } from "../load/result.ts";
import { benchPath } from "./gateway-configs.ts";
import { clockTicksPerSecond, machineTicks, selfTicks, treeTicks } from "./proc-stat.ts";
import type { RunningTarget } from "./target.ts";

/** One bounded load run against one target, with the CPU and connection accounting around it. */
export interface Measurement {
  readonly target: string;
  readonly round: number;
  readonly connections: number;
  readonly load: LoadResult;
  /** CPU µs per request of the proxy's process tree; null for "direct". */
  readonly proxyCpuUs: number | null;
  readonly upstreamCpuUs: number;
  /** TCP connections the upstream saw for the first time during the run. */
  readonly newUpstreamConnections: number;
  /** Busy CPU on the machine that none of the benchmark's processes used, in % of a core. */
  readonly foreignCpuPct: number;
  readonly stealPct: number;
}

export interface Upstream {
  readonly url: string;
  readonly pid: number;
  stats(): Promise<{ connections: number; requests: number }>;
}

export interface MeasureOptions extends RunLoadOptions {
  readonly round: number;
  readonly connections: number;
  readonly durationMs: number;
  readonly headers: Readonly<Record<string, string>>;
}

export async function measure(
  targetId: string,
  running: RunningTarget,
  upstream: Upstream,
  options: MeasureOptions,
): Promise<Measurement> {
  const hz = clockTicksPerSecond();
  const proxyPid = running.process?.pid ?? null;

  const up0 = await upstream.stats();
  const machine0 = machineTicks();
  const self0 = selfTicks();
  const proxy0 = proxyPid === null ? 0 : treeTicks(proxyPid);
  const upCpu0 = treeTicks(upstream.pid);
  const wall0 = performance.now();

  const load = await runLoad({
    url: running.url + benchPath,
    connections: options.connections,
    durationMs: options.durationMs,
    headers: options.headers,
    timeoutMs: 2_000,
  }, options);

  const wallS = (performance.now() - wall0) / 1000;
  const proxyTicks = proxyPid === null ? 0 : treeTicks(proxyPid) - proxy0;
  const upstreamTicks = treeTicks(upstream.pid) - upCpu0;
  const self1 = selfTicks();
  const machine1 = machineTicks();
  const up1 = await upstream.stats();

  const requests = Math.max(load.count, 1);
  const usPerRequest = (ticks: number) => (ticks / hz) * 1e6 / requests;
  const loaderTicks = self1.reapedChildren - self0.reapedChildren;
  const ours = proxyTicks + upstreamTicks + loaderTicks + (self1.own - self0.own);
  const foreignTicks = Math.max(0, machine1.busy - machine0.busy - ours);
  const loaderCpuPct = Number.isNaN(load.loaderCpuPct)
    ? (loaderTicks / hz / load.durationS) * 100
    : load.loaderCpuPct;

  return {
    target: targetId,
    round: options.round,
    connections: options.connections,
    load: { ...load, loaderCpuPct },
    proxyCpuUs: proxyPid === null ? null : usPerRequest(proxyTicks),
    upstreamCpuUs: usPerRequest(upstreamTicks),
    // The proxy's connections opened before the run (warm-up, readiness) are not new.
    newUpstreamConnections: up1.connections - up0.connections,
    foreignCpuPct: (foreignTicks / hz / wallS) * 100,
    stealPct: ((machine1.steal - machine0.steal) / hz / wallS) * 100,
  };
}

/**
 * Waits (up to `maxS`) until the machine is nearly idle: our servers are idle here, so any busy
 * CPU belongs to someone else. Returns how long it waited.
 */
export async function waitForQuiet(maxS: number, hz = clockTicksPerSecond()): Promise<number> {
  if (maxS <= 0) return 0;
  const started = performance.now();
  const thresholdPct = 25;
  for (;;) {
    const before = machineTicks().busy;
    await Bun.sleep(500);
    const busyPct = ((machineTicks().busy - before) / hz / 0.5) * 100;
    const waitedS = (performance.now() - started) / 1000;
    if (busyPct <= thresholdPct || waitedS >= maxS) return waitedS;
    await Bun.sleep(1_000);
  }
}
