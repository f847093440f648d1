import type { GeneratorName } from "../load/runner.ts";

/** Everything one run does, decided from the command line before anything starts. */
export interface BenchPlan {
  readonly mode: "default" | "full" | "smoke";
  readonly rounds: number;
  readonly durationMs: number;
  readonly warmupMs: number;
  readonly connections: readonly number[];
  /** Connections for the throughput comparisons (CPU per request, req/s goals, scaling). */
  readonly throughputConnections: number;
  /** Target ids to run; all available ones when null. */
  readonly only: readonly string[] | null;
  readonly generator: GeneratorName;
  readonly scaling: boolean;
  readonly micro: boolean;
  /** Before a measurement, wait up to this long for other work on the machine to calm down… */
  readonly quietWaitS: number;
  /** …and at most this long in total over the run. */
  readonly quietBudgetS: number;
  /** Target ids measured in the scaling runs. */
  readonly scalingConfigs: readonly string[];
  /** Drop measurements during which other work used more than this % of a core (null: keep). */
  readonly maxForeignPct: number | null;
  readonly outDir: string;
  /** Target id to run once more under Bun's CPU profiler, or null. */
  readonly profile: string | null;
  /** Also write latest.md / latest.svg / latest.json in outDir. */
  readonly writeLatest: boolean;
}

export interface PlanFlags {
  readonly full?: boolean;
  readonly smoke?: boolean;
  readonly only?: string;
  readonly generator?: string;
  readonly rounds?: string;
  readonly durationMs?: string;
  readonly connections?: string;
  readonly micro?: boolean;
  readonly scaling?: boolean;
  readonly quietWait?: string;
  readonly maxForeign?: string;
  readonly profile?: string;
  readonly out: string;
}

export function makePlan(flags: PlanFlags, wrkInstalled: boolean): BenchPlan {
  const mode = flags.smoke ? "smoke" : flags.full ? "full" : "default";
  const preset = {
    // Sized so `npm run bench` stays under 3 minutes on 2 cores with 11 targets.
    default: {
      rounds: 2, durationMs: 2_000, warmupMs: 500, connections: [1, 50],
      quiet: 5, quietBudget: 15, scaling: ["gw-pass"],
    },
    full: {
      rounds: 3, durationMs: 8_000, warmupMs: 2_000, connections: [1, 50, 256],
      quiet: 30, quietBudget: 900, scaling: ["gw-pass", "gw-all"],
    },
    smoke: {
      rounds: 1, durationMs: 1_000, warmupMs: 300, connections: [4],
      quiet: 0, quietBudget: 0, scaling: [],
    },
  }[mode];
  const connections = flags.connections ? list(flags.connections).map(Number) : preset.connections;
  if (connections.some((c) => !Number.isInteger(c) || c < 1)) {
    throw new TypeError("--connections takes positive integers, e.g. 1,50,256");
  }
  const generator = flags.generator ?? (mode === "smoke" || !wrkInstalled ? "bundled" : "wrk");
  if (generator !== "wrk" && generator !== "bundled") {
    throw new TypeError("--generator is wrk or bundled");
  }
  if (generator === "wrk" && !wrkInstalled) throw new TypeError("wrk is not installed");

  return {
    mode,
    rounds: flags.rounds ? positive(flags.rounds, "--rounds") : preset.rounds,
    durationMs: flags.durationMs ? positive(flags.durationMs, "--duration-ms") : preset.durationMs,
    warmupMs: preset.warmupMs,
    connections,
    throughputConnections: connections.includes(50) ? 50 : Math.max(...connections),
    only: flags.only ? list(flags.only) : mode === "smoke" ? ["direct", "gw-pass"] : null,
    generator,
    scaling: flags.scaling ?? mode !== "smoke",
    micro: flags.micro ?? mode === "full",
    quietWaitS: flags.quietWait ? Number(flags.quietWait) : preset.quiet,
    quietBudgetS: flags.quietWait ? Number(flags.quietWait) * 100 : preset.quietBudget,
    scalingConfigs: preset.scaling,
    maxForeignPct: flags.maxForeign ? Number(flags.maxForeign) : null,
    outDir: flags.out,
    profile: flags.profile ?? null,
    writeLatest: mode !== "smoke",
  };
}

function list(text: string): string[] {
  return text.split(",").map((s) => s.trim()).filter(Boolean);
}

function positive(text: string, name: string): number {
  const value = Number(text);
  if (!Number.isInteger(value) || value < 1) {
    throw new TypeError(`${name} takes a positive integer`);
  }
  return value;
}
