import type { BoundedProcess } from "./processes.ts";

/** What a target needs to start: where the upstream is and where it may run and write. */
export interface StartContext {
  readonly upstreamUrl: string;
  readonly upstreamPort: number;
  /** The upstream's process, and the CPUs it normally runs on (see peers' "direct"). */
  readonly upstreamPid: number;
  readonly upstreamCpus: string | null;
  /** taskset CPU list for the proxy under test, or null when unpinned. */
  readonly cpus: string | null;
  /** How many cores that list holds (nginx workers, GOMAXPROCS, gateway workers). */
  readonly cpuCount: number;
  /** A fresh folder for this target's config, data and logs. */
  readonly workDir: string;
  /** Seconds after which the target's process ends by itself. */
  readonly budgetS: number;
  /** When set, a Bun target runs with `--cpu-prof` and writes its profile here on exit. */
  readonly profileDir?: string;
}

export interface RunningTarget {
  /** Origin the load is sent to (no trailing slash); every target serves `benchPath`. */
  readonly url: string;
  /** The process tree charged with CPU time; null for "direct" (nothing in between). */
  readonly process: BoundedProcess | null;
  stop(): Promise<void>;
}

export type TargetKind = "floor" | "peer" | "gateway";

/** One column of the comparison: a peer, the floor, or the gateway under one config. */
export interface Target {
  readonly id: string;
  readonly label: string;
  readonly kind: TargetKind;
  /** Id of the target this one adds a check to; its marginal cost is measured against it. */
  readonly base?: string;
  /** Request headers every load request carries (credentials for the checks). */
  readonly headers: Readonly<Record<string, string>>;
  /** Set when the target cannot run here, with the reason shown in the report. */
  readonly unavailable?: string;
  start(context: StartContext): Promise<RunningTarget>;
  /**
   * Confirms, once started, that the check under test really acts (e.g. a request without a
   * credential is refused); returns a reason when it does not, so a check that is not wired
   * yet is reported as such instead of as free.
   */
  verify?(running: RunningTarget, context: StartContext): Promise<string | null>;
}

/** A process-backed target that is ready once it answers the benchmark body. */
export function runningProcess(url: string, proc: BoundedProcess): RunningTarget {
  return { url, process: proc, stop: () => proc.stop() };
}

/** Runs the readiness steps of a freshly spawned process; stops it if they fail. */
export async function readyOrStop<T>(proc: BoundedProcess, ready: () => Promise<T>): Promise<T> {
  try {
    return await ready();
  } catch (error) {
    await proc.stop();
    // The last lines the process printed usually name the cause (a config error, a crash).
    const said = proc.output().trim().split("\n").filter((l) => l.trim() !== "").slice(-3)
      .join(" | ");
    const reason = error instanceof Error ? error.message : String(error);
    throw new Error(said ? `${reason}; ${proc.name} said: ${said}` : reason);
  }
}
