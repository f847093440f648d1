/**
 * The one machine-readable shape every micro benchmark reports in, whether it uses
 * `runMicro` (harness.ts) or mitata's own `run()` (captured by capture-mitata.ts). The runner
 * (run.ts) reads the line that starts with `MICRO_RESULT `.
 */

export interface MicroCaseResult {
  readonly name: string;
  readonly group: string | null;
  readonly avgNs: number;
  readonly p50Ns: number;
  readonly p99Ns: number;
  readonly minNs: number;
  readonly samples: number;
  /** Average heap growth per iteration (bun:jsc), when measured. */
  readonly heapBytes: number | null;
  readonly error: string | null;
}

export const microResultMarker = "MICRO_RESULT ";

/** True when the runner asked for JSON instead of the human table. */
export const jsonRequested = process.env.BENCH_JSON === "1";

export function emitMicroResult(cases: readonly MicroCaseResult[]): void {
  console.log(microResultMarker + JSON.stringify({ cases }));
}

interface MitataStats {
  avg: number;
  p50: number;
  p99: number;
  min: number;
  samples: unknown[];
  heap?: { avg: number };
}

interface MitataTrial {
  group: number;
  runs: { name: string; stats?: MitataStats; error?: unknown }[];
}

/** Converts what mitata's `run()` or `measure()` returned. */
export function fromMitata(
  trials: readonly MitataTrial[],
  layout: readonly { name: string | null }[] = [],
): MicroCaseResult[] {
  return trials.flatMap((trial) =>
    trial.runs.map((run) => fromStats(run.name, layout[trial.group]?.name ?? null, run.stats,
      run.error)),
  );
}

export function fromStats(
  name: string,
  group: string | null,
  stats: MitataStats | undefined,
  error?: unknown,
): MicroCaseResult {
  return {
    name,
    group,
    avgNs: stats?.avg ?? Number.NaN,
    p50Ns: stats?.p50 ?? Number.NaN,
    p99Ns: stats?.p99 ?? Number.NaN,
    minNs: stats?.min ?? Number.NaN,
    samples: stats?.samples.length ?? 0,
    heapBytes: stats?.heap ? stats.heap.avg : null,
    error: error === undefined ? null : String(error instanceof Error ? error.message : error),
  };
}
