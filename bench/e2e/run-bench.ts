import { existsSync, readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { wrkPath } from "../load/runner.ts";
import { runAndSaveMicro } from "../micro/run.ts";
import type { MicroReport } from "../micro/suite.ts";
import { bunProxyTarget, caddyTarget, directTarget, nginxTarget } from "../peers/targets.ts";
import { gatewayLadder } from "./gateway-configs.ts";
import { gatewayTargets, prepareGatewaySetup } from "./gateway-targets.ts";
import { evaluateGoals } from "./goals.ts";
import { describeMachine } from "./machine.ts";
import { choosePlacement } from "./placement.ts";
import { makePlan, type PlanFlags } from "./plan.ts";
import type { ProfileReport, RunReport, ScalingReport, TargetStatus } from "./report.ts";
import { fileTimestamp } from "./results-dir.ts";
import { runProfile, runRounds, runScaling, type RunScope } from "./schedule.ts";
import { marginalCosts, summarizeCells } from "./summarize.ts";
import type { Target } from "./target.ts";
import { startUpstream } from "./upstream-process.ts";
import { gatewayHasWorkers } from "./workers.ts";
import { writeResults, type WrittenFiles } from "./write-results.ts";

/** One whole run: plan, micro (optional), rounds, scaling, report files. */
export async function runBench(
  flags: PlanFlags & { list?: boolean },
  workDir: string,
  log: (line: string) => void,
): Promise<WrittenFiles | null> {
  const plan = makePlan(flags, wrkPath !== null);
  const placement = choosePlacement();
  const started = new Date();
  const setup = await prepareGatewaySetup(join(workDir, "identity"), 7_200);
  const workersFlag = gatewayHasWorkers();
  const targets: Target[] = [
    directTarget, bunProxyTarget, nginxTarget, caddyTarget,
    ...(await gatewayTargets(setup, workersFlag ? 1 : null)),
  ];
  const fullOnly = new Set(gatewayLadder.filter((s) => s.fullOnly).map((s) => s.id));
  const selected = plan.only
    ? targets.filter((t) => plan.only!.includes(t.id))
    : targets.filter((t) => plan.mode === "full" || !fullOnly.has(t.id));
  if (flags.list) {
    for (const t of targets) {
      console.log(`${t.id.padEnd(12)} ${t.label.padEnd(26)} ${t.unavailable ?? "ok"}`);
    }
    return null;
  }
  const runnable = selected.filter((t) => !t.unavailable);
  log(`plan: ${plan.mode}, ${runnable.length} targets × ${plan.connections.join("/")} ` +
    `connections × ${plan.rounds} round(s) of ${plan.durationMs} ms, ` +
    `load: ${plan.generator}; ${placement.note}`);

  const { micro, microSource } =
    await microFigures(plan.micro, plan.outDir, placement.proxyCpus, log);
  const upstream = await startUpstream(placement.loadCpus, 7_200);
  const scope: RunScope = {
    plan, placement, upstream, workDir, log, quietBudget: { remainingS: plan.quietBudgetS },
  };
  try {
    const rounds = await runRounds(runnable, scope);
    const measuredIds = new Set(rounds.measurements.map((m) => m.target));
    const scaling = plan.scaling
      ? await scalingRuns(setup, measuredIds, scope, workersFlag)
      : { note: "Scaling runs skipped (--no-scaling or --smoke).", rows: [] };

    const profile = plan.profile ? await profileRun(plan.profile, runnable, scope, started) : null;
    const cells = summarizeCells(rounds.measurements, plan);
    const marginal = marginalCosts(runnable, cells, plan);
    const statuses = selected.map((t): TargetStatus => {
      const failure = rounds.failures.get(t.id) ?? null;
      return {
        id: t.id, label: t.label, kind: t.kind, base: t.base ?? null,
        note: gatewayLadder.find((s) => s.id === t.id)?.note ?? null,
        status: t.unavailable ? "unavailable" : measuredIds.has(t.id) ? "measured" : "failed",
        reason: t.unavailable ?? failure,
      };
    });
    const report: RunReport = {
      version: 1,
      startedAt: started.toISOString(),
      durationS: (Date.now() - started.getTime()) / 1000,
      machine: describeMachine(placement.cores),
      plan, placement,
      targets: statuses,
      measurements: rounds.measurements,
      cells: [...cells.values()],
      marginal,
      scaling,
      goals: evaluateGoals({ plan, cells, marginal, micro, microSource }),
      micro, microSource,
      profile,
    };
    return await writeResults(report, plan.outDir, plan.writeLatest);
  } finally {
    await upstream.process.stop();
  }
}

async function scalingRuns(
  setup: Awaited<ReturnType<typeof prepareGatewaySetup>>,
  measured: ReadonlySet<string>,
  scope: RunScope,
  workersFlag: boolean,
): Promise<ScalingReport> {
  const cores = scope.placement.cores;
  if (!workersFlag) {
    return { note: "Not measured: `portcullis serve` has no `--workers` option yet.", rows: [] };
  }
  const wanted = scope.plan.scalingConfigs.filter((id) => measured.has(id));
  const rows: ScalingReport["rows"] = [];
  for (const workers of [...new Set([1, cores])]) {
    const targets = (await gatewayTargets(setup, workers, true))
      .filter((t) => !t.unavailable && wanted.some((id) => t.id === `${id}-w${workers}`));
    const outcome = await runScaling(targets, scope);
    for (const m of outcome.measurements) {
      const cells = summarizeCells([m], scope.plan);
      rows.push({ config: m.target.replace(/-w\d+$/, ""), workers, cell: [...cells.values()][0]! });
    }
    for (const [id, reason] of outcome.failures) scope.log(`scaling ${id}: ${reason}`);
  }
  return {
    note: `The gateway on all ${cores} cores with 1 and ${cores} worker processes ` +
      `(c=${scope.plan.throughputConnections}); the upstream and the load generator share ` +
      `those cores, so on a small machine the speed-up is bounded by them.`,
    rows,
  };
}

async function profileRun(
  id: string,
  targets: readonly Target[],
  scope: RunScope,
  started: Date,
): Promise<ProfileReport> {
  const dir = `${fileTimestamp(started)}-profile-${id}`;
  const target = targets.find((t) => t.id === id && t.kind === "gateway");
  if (!target) {
    return { target: id, dir, top: null, problem: `no runnable gateway config named ${id}` };
  }
  scope.log(`profile: ${target.label}`);
  const path = join(scope.plan.outDir, dir);
  const { failure } = await runProfile(target, scope, path);
  const summary = existsSync(path) ? readdirSync(path).find((f) => f.endsWith(".md")) : undefined;
  const text = summary ? readFileSync(join(path, summary), "utf8") : "";
  const top = /^\*\*Top 10:\*\*\s*(.+)$/m.exec(text)?.[1] ?? null;
  return { target: id, dir, top, problem: failure ?? (summary ? null : "no profile written") };
}

async function microFigures(
  runNow: boolean,
  outDir: string,
  cpus: string | null,
  log: (line: string) => void,
): Promise<{ micro: MicroReport | null; microSource: string }> {
  if (runNow) {
    const micro = await runAndSaveMicro({ timePerCaseMs: 300, outDir, cpus, log });
    return { micro, microSource: "this run" };
  }
  const latest = join(outDir, "micro-latest.json");
  if (!existsSync(latest)) return { micro: null, microSource: "none" };
  const micro = JSON.parse(readFileSync(latest, "utf8")) as MicroReport;
  return { micro, microSource: `micro-latest.json of ${micro.startedAt}` };
}
