import type { Measurement } from "./measure.ts";
import type { BenchPlan } from "./plan.ts";
import type { Target } from "./target.ts";

/**
 * Reduces the measurements to medians per target and connection count, and derives the
 * comparisons the report shows: each figure against "direct", and each check's marginal cost
 * against the config it adds to.
 */

export interface CellSummary {
  readonly target: string;
  readonly connections: number;
  readonly runs: number;
  readonly rps: number;
  readonly rpsPerRound: number[];
  readonly p50Us: number;
  readonly p90Us: number;
  readonly p99Us: number;
  readonly p999Us: number;
  readonly proxyCpuUs: number | null;
  readonly upstreamCpuUs: number;
  readonly newUpstreamConnections: number;
  readonly errors: number;
  readonly foreignMaxPct: number;
  readonly loaderMaxPct: number;
  /** Measurements left out because other work disturbed them (see --max-foreign). */
  readonly dropped: number;
}

export interface MarginalCost {
  readonly target: string;
  readonly base: string;
  readonly cpuUs: number;
  readonly baseCpuUs: number;
  readonly deltaCpuUs: number;
  /** The difference as a fraction of the pass-through gateway's CPU per request. */
  readonly deltaOverPass: number;
  /** The whole config's CPU per request over the pass-through gateway's. */
  readonly totalOverPass: number;
  /** Added median and p99 latency at one connection. */
  readonly deltaP50Us: number;
  readonly deltaP99Us: number;
}

export const median = (values: readonly number[]): number => {
  const v = values.filter(Number.isFinite).sort((a, b) => a - b);
  if (v.length === 0) return Number.NaN;
  const mid = v.length >> 1;
  return v.length % 2 ? v[mid]! : (v[mid - 1]! + v[mid]!) / 2;
};

export function summarizeCells(measurements: readonly Measurement[], plan: BenchPlan) {
  const groups = new Map<string, Measurement[]>();
  for (const m of measurements) {
    const key = `${m.target}\t${m.connections}`;
    groups.set(key, [...(groups.get(key) ?? []), m]);
  }
  const cells = new Map<string, CellSummary>();
  for (const [key, all] of groups) {
    const limit = plan.maxForeignPct;
    const kept = limit === null ? all : all.filter((m) => m.foreignCpuPct <= limit);
    const use = kept.length > 0 ? kept : all;
    const pick = (f: (m: Measurement) => number) => median(use.map(f));
    const proxy = use.map((m) => m.proxyCpuUs).filter((v): v is number => v !== null);
    cells.set(key, {
      target: all[0]!.target,
      connections: all[0]!.connections,
      runs: use.length,
      rps: pick((m) => m.load.rps),
      rpsPerRound: all.map((m) => m.load.rps),
      p50Us: pick((m) => m.load.p50Us),
      p90Us: pick((m) => m.load.p90Us),
      p99Us: pick((m) => m.load.p99Us),
      p999Us: pick((m) => m.load.p999Us),
      proxyCpuUs: proxy.length > 0 ? median(proxy) : null,
      upstreamCpuUs: pick((m) => m.upstreamCpuUs),
      newUpstreamConnections: pick((m) => m.newUpstreamConnections),
      errors: use.reduce((sum, m) => sum + m.load.statusErrors + m.load.socketErrors, 0),
      foreignMaxPct: Math.max(...all.map((m) => m.foreignCpuPct)),
      loaderMaxPct: Math.max(...use.map((m) => m.load.loaderCpuPct)),
      dropped: all.length - use.length,
    });
  }
  return cells;
}

export const cellKey = (target: string, connections: number) => `${target}\t${connections}`;

/** Marginal cost of each gateway config over the one it builds on. */
export function marginalCosts(
  targets: readonly Target[],
  cells: ReadonlyMap<string, CellSummary>,
  plan: BenchPlan,
): MarginalCost[] {
  const at = (id: string, c: number) => cells.get(cellKey(id, c));
  const c = plan.throughputConnections;
  const pass = at("gw-pass", c)?.proxyCpuUs ?? Number.NaN;
  const costs: MarginalCost[] = [];
  for (const target of targets) {
    if (target.kind !== "gateway" || !target.base) continue;
    const cell = at(target.id, c);
    const base = at(target.base, c);
    if (!cell || !base || cell.proxyCpuUs === null || base.proxyCpuUs === null) continue;
    const delta = cell.proxyCpuUs - base.proxyCpuUs;
    const one = at(target.id, 1);
    const baseOne = at(target.base, 1);
    costs.push({
      target: target.id,
      base: target.base,
      cpuUs: cell.proxyCpuUs,
      baseCpuUs: base.proxyCpuUs,
      deltaCpuUs: delta,
      deltaOverPass: delta / pass,
      totalOverPass: cell.proxyCpuUs / pass,
      deltaP50Us: one && baseOne ? one.p50Us - baseOne.p50Us : Number.NaN,
      deltaP99Us: one && baseOne ? one.p99Us - baseOne.p99Us : Number.NaN,
    });
  }
  return costs;
}
