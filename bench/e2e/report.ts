import type { MicroReport } from "../micro/suite.ts";
import type { Goal } from "./goals.ts";
import type { Measurement } from "./measure.ts";
import type { Placement } from "./placement.ts";
import type { BenchPlan } from "./plan.ts";
import type { CellSummary, MarginalCost } from "./summarize.ts";
import type { TargetKind } from "./target.ts";

/** The JSON written for every run; the Markdown and the chart are made from it alone. */
export interface RunReport {
  readonly version: 1;
  readonly startedAt: string;
  readonly durationS: number;
  readonly machine: MachineInfo;
  readonly plan: BenchPlan;
  readonly placement: Placement;
  readonly targets: TargetStatus[];
  readonly measurements: Measurement[];
  readonly cells: CellSummary[];
  readonly marginal: MarginalCost[];
  readonly scaling: ScalingReport;
  readonly goals: Goal[];
  readonly micro: MicroReport | null;
  readonly microSource: string;
  readonly profile: ProfileReport | null;
}

/** Where the CPU time of one config went (bun --cpu-prof), when `--profile` asked for it. */
export interface ProfileReport {
  readonly target: string;
  /** Folder of the .cpuprofile and .md files, relative to the results folder. */
  readonly dir: string;
  /** The profile's own one-line summary of its hottest functions. */
  readonly top: string | null;
  readonly problem: string | null;
}

export interface TargetStatus {
  readonly id: string;
  readonly label: string;
  readonly kind: TargetKind;
  readonly base: string | null;
  readonly note: string | null;
  readonly status: "measured" | "unavailable" | "failed";
  readonly reason: string | null;
}

export interface ScalingRow {
  readonly config: string;
  readonly workers: number;
  readonly cell: CellSummary;
}

export interface ScalingReport {
  readonly note: string;
  readonly rows: ScalingRow[];
}

export interface MachineInfo {
  readonly cpuModel: string;
  readonly cores: number;
  readonly kernel: string;
  readonly bun: string;
  readonly tools: Record<string, string | null>;
}
