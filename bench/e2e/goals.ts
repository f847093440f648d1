import type { MicroReport } from "../micro/suite.ts";
import { flatRatio } from "../micro/series.ts";
import { cellKey, type CellSummary, type MarginalCost } from "./summarize.ts";
import type { BenchPlan } from "./plan.ts";

/**
 * The figures Portcullis is held to (issue 7). They are printed with the result, never
 * asserted: speed is reported, and a miss is said plainly.
 */

export type GoalStatus = "met" | "missed" | "not measured";

export interface Goal {
  readonly id: string;
  readonly text: string;
  readonly status: GoalStatus;
  /** The measured figure in words, or why there is none. */
  readonly figure: string;
  /** Most CPU other programs used while the figures behind this goal were taken (% of a core). */
  readonly otherLoadPct: number | null;
}

/** Above this much foreign CPU (% of a core) during a measurement its figures are unreliable. */
export const disturbedPct = 25;

export interface GoalInputs {
  readonly plan: BenchPlan;
  readonly cells: ReadonlyMap<string, CellSummary>;
  readonly marginal: readonly MarginalCost[];
  readonly micro: MicroReport | null;
  /** Where the micro figures come from ("this run", or the file they were read from). */
  readonly microSource: string;
}

const fmt = (value: number, digits = 1) => (Number.isFinite(value) ? value.toFixed(digits) : "–");

export function evaluateGoals(inputs: GoalInputs): Goal[] {
  const { cells, plan } = inputs;
  const c = plan.throughputConnections;
  const all = cells.get(cellKey("gw-all", c));
  const bun = cells.get(cellKey("bun-proxy", c));
  const caddy = cells.get(cellKey("caddy", c));
  const allOne = cells.get(cellKey("gw-all", 1));
  const directOne = cells.get(cellKey("direct", 1));
  const goals: Goal[] = [];
  const missing = (what: string) => `not measured: ${what} has no figures in this run`;

  const ratioGoal = (id: string, text: string, value: number | null, ok: (v: number) => boolean,
    figure: (v: number) => string, absent: string, from: (CellSummary | undefined)[]) => {
    if (value === null || !Number.isFinite(value)) {
      goals.push({ id, text, status: "not measured", figure: absent, otherLoadPct: null });
      return;
    }
    const otherLoadPct = Math.max(0, ...from.map((cell) => cell?.foreignMaxPct ?? 0));
    goals.push({ id, text, status: ok(value) ? "met" : "missed", figure: figure(value),
      otherLoadPct });
  };

  const cpuRatio = all?.proxyCpuUs != null && bun?.proxyCpuUs != null
    ? all.proxyCpuUs / bun.proxyCpuUs : null;
  ratioGoal("cpu-vs-bun", `all checks: CPU/request ≤ 1.25× the bare Bun proxy (c=${c})`,
    cpuRatio, (v) => v <= 1.25,
    (v) => `${fmt(v, 2)}× (${fmt(all!.proxyCpuUs!)} µs vs ${fmt(bun!.proxyCpuUs!)} µs)`,
    missing(all ? "the bare Bun proxy" : "the all-checks config"), [all, bun]);

  const rpsRatio = all && bun ? all.rps / bun.rps : null;
  ratioGoal("rps-vs-bun", `all checks: req/s ≥ 80% of the bare Bun proxy (c=${c})`,
    rpsRatio, (v) => v >= 0.8,
    (v) => `${fmt(v * 100, 0)}% (${fmt(all!.rps, 0)} vs ${fmt(bun!.rps, 0)} req/s)`,
    missing(all ? "the bare Bun proxy" : "the all-checks config"), [all, bun]);

  const caddyRatio = all && caddy ? all.rps / caddy.rps : null;
  ratioGoal("rps-vs-caddy", `all checks: req/s ≥ 2× Caddy (c=${c})`,
    caddyRatio, (v) => v >= 2,
    (v) => `${fmt(v, 2)}× (${fmt(all!.rps, 0)} vs ${fmt(caddy!.rps, 0)} req/s)`,
    missing(all ? "Caddy (not installed or not run)" : "the all-checks config"), [all, caddy]);

  const addedP50 = allOne && directOne ? allOne.p50Us - directOne.p50Us : null;
  ratioGoal("p50-added", "all checks: added p50 latency at c=1 < 0.2 ms over direct",
    addedP50, (v) => v < 200, (v) => `+${fmt(v / 1000, 3)} ms`,
    missing(allOne ? "direct at c=1" : "the all-checks config at c=1"), [allOne, directOne]);
  const addedP99 = allOne && directOne ? allOne.p99Us - directOne.p99Us : null;
  ratioGoal("p99-added", "all checks: added p99 latency at c=1 < 1 ms over direct",
    addedP99, (v) => v < 1000, (v) => `+${fmt(v / 1000, 3)} ms`,
    missing(allOne ? "direct at c=1" : "the all-checks config at c=1"), [allOne, directOne]);

  for (const cost of inputs.marginal) {
    if (cost.target === "gw-pass" || cost.target === "gw-all") continue;
    ratioGoal(`marginal-${cost.target}`, `${cost.target}: marginal CPU < 5 µs/request ` +
      `(vs ${cost.base})`, cost.deltaCpuUs, (v) => v < 5, (v) => `${fmt(v)} µs`, "",
      [cells.get(cellKey(cost.target, c)), cells.get(cellKey(cost.base, c))]);
  }
  goals.push(...flatGoals(inputs));
  return goals;
}

function flatGoals(inputs: GoalInputs): Goal[] {
  const wanted = [
    { id: "flat-policy", text: "policy decision flat as rules grow", file: /polic/i },
    { id: "flat-limit", text: "rate-limit take flat as keys grow", file: /limit|rate/i },
  ];
  return wanted.map(({ id, text, file }) => {
    const label = `${text} (largest ≤ ${flatRatio}× smallest)`;
    const series = inputs.micro?.series.filter((s) => file.test(s.file)) ?? [];
    if (series.length === 0) {
      const why = inputs.micro ? "no size series in the micro results" : "no micro results";
      return { id, text: label, status: "not measured" as const, otherLoadPct: null,
        figure: `${why} (${inputs.microSource}); run \`bun bench/micro/run.ts\`` };
    }
    const worst = series.reduce((a, b) => (b.ratio > a.ratio ? b : a));
    const figure = series.map((s) => `${s.name} ×${s.ratio.toFixed(2)}`).join(", ") +
      ` (${inputs.microSource})`;
    const status = worst.flat ? "met" as const : "missed" as const;
    return { id, text: label, status, figure, otherLoadPct: null };
  });
}
