import { mkdirSync } from "node:fs";
import { join } from "node:path";
import { runLoad } from "../load/runner.ts";
import { benchPath } from "./gateway-configs.ts";
import { measure, waitForQuiet, type Measurement, type Upstream } from "./measure.ts";
import type { BenchPlan } from "./plan.ts";
import type { Placement } from "./placement.ts";
import type { RunningTarget, StartContext, Target } from "./target.ts";

/**
 * Interleaved rounds: round 1 measures every target, round 2 every target again (in a rotated
 * order), and so on, each target restarted and warmed up every round. Slow drift on a shared
 * machine then spreads over all targets instead of biasing the ones measured last.
 */

export interface ScheduleOutcome {
  readonly measurements: Measurement[];
  /** Targets that failed to start or whose checks did not act, with the reason. */
  readonly failures: Map<string, string>;
}

export interface RunScope {
  readonly plan: BenchPlan;
  readonly placement: Placement;
  readonly upstream: Upstream;
  readonly workDir: string;
  readonly log: (line: string) => void;
  /** Seconds of waiting for a quiet machine left for the whole run. */
  readonly quietBudget: { remainingS: number };
}

/** A target that failed this many rounds in a row is not started again. */
const maxConsecutiveFailures = 2;

export async function runRounds(targets: readonly Target[], scope: RunScope) {
  const { plan } = scope;
  const measurements: Measurement[] = [];
  const failures = new Map<string, string>();
  const streak = new Map<string, number>();
  for (let round = 1; round <= plan.rounds; round++) {
    const active = targets.filter((t) => (streak.get(t.id) ?? 0) < maxConsecutiveFailures);
    const shift = (round - 1) % Math.max(active.length, 1);
    const order = [...active.slice(shift), ...active.slice(0, shift)];
    for (const target of order) {
      scope.log(`round ${round}/${plan.rounds}: ${target.label}`);
      const context = startContext(scope, `${target.id}-r${round}`, scope.placement.proxyCpus,
        scope.placement.proxyCpuCount);
      const result = await withTarget(target, context, async (running) => {
        // Most connections first: the warm-up filled the proxy's upstream pool, and a smaller
        // run after a larger one finds it still warm (pools drop idle connections after a while).
        for (const connections of [...plan.connections].sort((a, b) => b - a)) {
          measurements.push(await measureOnce(target, running, scope, round, connections));
        }
      }, scope);
      streak.set(target.id, result ? (streak.get(target.id) ?? 0) + 1 : 0);
      if (result) {
        failures.set(target.id, `round ${round}: ${result}`);
        scope.log(`  ${target.id} ${result}`);
      }
    }
  }
  return { measurements, failures } satisfies ScheduleOutcome;
}

/** Scaling: the same config with 1 and with N worker processes, the gateway on every core. */
export async function runScaling(targets: readonly Target[], scope: RunScope) {
  const measurements: Measurement[] = [];
  const failures = new Map<string, string>();
  const connections = scope.plan.throughputConnections;
  for (const target of targets) {
    scope.log(`scaling: ${target.label}`);
    const context = startContext(scope, `${target.id}-scaling`, scope.placement.allCpus,
      scope.placement.cores);
    const result = await withTarget(target, context, async (running) => {
      measurements.push(await measureOnce(target, running, scope, 1, connections));
    }, scope);
    if (result) failures.set(target.id, result);
  }
  return { measurements, failures } satisfies ScheduleOutcome;
}

/**
 * "Where the time goes": the target once more under Bun's sampling profiler at the throughput
 * connection count; the profile (.cpuprofile and a Markdown summary) is written when it exits.
 */
export async function runProfile(target: Target, scope: RunScope, profileDir: string) {
  mkdirSync(profileDir, { recursive: true });
  const context = {
    ...startContext(scope, `${target.id}-profile`, scope.placement.proxyCpus,
      scope.placement.proxyCpuCount),
    profileDir,
  };
  const measurements: Measurement[] = [];
  const failure = await withTarget(target, context, async (running) => {
    measurements.push(await measureOnce(target, running, scope, 1,
      scope.plan.throughputConnections));
  }, scope);
  return { measurement: measurements[0] ?? null, failure };
}

function measureOnce(
  target: Target,
  running: RunningTarget,
  scope: RunScope,
  round: number,
  connections: number,
): Promise<Measurement> {
  return measure(target.id, running, scope.upstream, {
    round, connections, durationMs: scope.plan.durationMs, headers: target.headers,
    ...loadOptions(scope),
  });
}

function startContext(scope: RunScope, name: string, cpus: string | null, cpuCount: number) {
  const workDir = join(scope.workDir, name);
  mkdirSync(workDir, { recursive: true });
  const budgetS = 120 + (scope.plan.durationMs / 1000 + 5) * scope.plan.connections.length;
  return {
    upstreamUrl: scope.upstream.url,
    upstreamPort: Number(new URL(scope.upstream.url).port),
    upstreamPid: scope.upstream.pid,
    upstreamCpus: scope.placement.loadCpus,
    cpus,
    cpuCount,
    workDir,
    budgetS,
  } satisfies StartContext;
}

function loadOptions(scope: RunScope) {
  return {
    generator: scope.plan.generator,
    cpus: scope.placement.loadCpus,
    threads: scope.placement.loadCpuCount,
  };
}

/** Starts, verifies and warms a target, runs `body`, and always stops it. Returns a failure. */
async function withTarget(
  target: Target,
  context: StartContext,
  body: (running: RunningTarget) => Promise<void>,
  scope: RunScope,
): Promise<string | null> {
  let running: RunningTarget | null = null;
  try {
    running = await target.start(context);
    const problem = target.verify ? await target.verify(running, context) : null;
    if (problem) return `not available yet: ${problem}`;
    // Wait for other programs to calm down here, so no idle gap opens between the warm-up and
    // the measurements. The whole run has a budget for such waits.
    const waitS = Math.min(scope.plan.quietWaitS, scope.quietBudget.remainingS);
    scope.quietBudget.remainingS -= await waitForQuiet(waitS);
    // Warm-up (JIT, pools) with the bundled generator: it takes milliseconds, wrk whole seconds.
    await runLoad({
      url: running.url + benchPath,
      connections: Math.max(...scope.plan.connections),
      durationMs: scope.plan.warmupMs,
      headers: target.headers,
      timeoutMs: 2_000,
    }, { ...loadOptions(scope), generator: "bundled" });
    await body(running);
    return null;
  } catch (error) {
    const text = error instanceof Error ? error.message : String(error);
    return `failed: ${text.split("\n").slice(0, 6).join(" | ")}`;
  } finally {
    await running?.stop();
  }
}
