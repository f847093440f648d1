import { microMarkdown } from "../micro/markdown.ts";
import { disturbedPct } from "./goals.ts";
import type { RunReport } from "./report.ts";
import { cellKey, type CellSummary } from "./summarize.ts";

/** The run as Markdown: the side-by-side table, marginal costs, goals, scaling, gaps. */
export function runMarkdown(report: RunReport, chartFile: string | null): string {
  const out: string[] = [];
  const { plan, machine, placement } = report;
  out.push(`## Benchmark run ${report.startedAt}`, "");
  out.push(`${machine.cpuModel}, ${machine.cores} cores, ${machine.kernel}, Bun ${machine.bun}. ` +
    `Load: ${plan.generator === "wrk" ? machine.tools.wrk ?? "wrk" : "bundled Bun generator"}, ` +
    `${plan.rounds} interleaved round(s) of ${plan.durationMs / 1000} s per figure, ` +
    "medians shown. " +
    `${placement.note}. Mode: ${plan.mode}; took ${report.durationS.toFixed(0)} s.`, "");
  const worst = Math.max(0, ...report.measurements.map((m) => m.foreignCpuPct));
  if (worst > disturbedPct) {
    out.push(`**Disturbed run:** other programs used up to ${worst.toFixed(0)}% of a core while ` +
      "figures were taken (column \"other load %\"). Such figures move by large factors; " +
      "re-run on a quiet machine, e.g. `bun bench/run.ts --quiet-wait 60`.", "");
  }

  for (const c of plan.connections) out.push(...sideBySide(report, c), "");
  out.push(...marginalTable(report), "");
  out.push("### Goals", "");
  for (const goal of report.goals) {
    const mark = goal.status === "met" ? "met" : goal.status === "missed" ? "**MISSED**"
      : "not measured";
    const shaky = goal.otherLoadPct !== null && goal.otherLoadPct > disturbedPct
      ? ` (unreliable: other programs used up to ${goal.otherLoadPct.toFixed(0)}% of a core)`
      : "";
    out.push(`- ${mark}: ${goal.text} — ${goal.figure}${shaky}`);
  }
  out.push("", "### Scaling with `--workers`", "", report.scaling.note);
  if (report.scaling.rows.length > 0) {
    out.push("", "| config | workers | req/s | speed-up | CPU µs/req | p99 ms |",
      "|---|---:|---:|---:|---:|---:|");
    for (const row of report.scaling.rows) {
      const one = report.scaling.rows.find((r) => r.config === row.config && r.workers === 1);
      out.push(`| ${row.config} | ${row.workers} | ${int(row.cell.rps)} | ` +
        `${one ? `×${(row.cell.rps / one.cell.rps).toFixed(2)}` : "–"} | ` +
        `${num(row.cell.proxyCpuUs)} | ${ms(row.cell.p99Us)} |`);
    }
  }
  const skipped = report.targets.filter((t) => t.status !== "measured");
  if (skipped.length > 0) {
    out.push("", "### Not measured", "");
    for (const t of skipped) out.push(`- ${t.label} (\`${t.id}\`): ${t.reason}`);
  }
  const partial = report.targets.filter((t) => t.status === "measured" && t.reason);
  if (partial.length > 0) {
    out.push("", "### Measured in some rounds only", "");
    for (const t of partial) out.push(`- ${t.label} (\`${t.id}\`): ${t.reason}`);
  }
  if (chartFile) out.push("", `Chart: [${chartFile}](${chartFile})`);
  if (report.profile) {
    const p = report.profile;
    out.push("", `### Where the time goes (\`${p.target}\`, bun --cpu-prof)`, "");
    out.push(p.problem ? `No profile: ${p.problem}.`
      : `Hottest functions: ${p.top ?? "see the profile"}. Full profile: [${p.dir}/](${p.dir}/) ` +
        "(open the .cpuprofile in Chrome DevTools, or read the .md).");
  }
  if (report.micro) out.push("", "### Micro benchmarks", "", microMarkdown(report.micro));
  out.push("", ...readingNotes());
  return `${out.join("\n")}\n`;
}

function sideBySide(report: RunReport, c: number): string[] {
  const cells = new Map(report.cells.map((cell) => [cellKey(cell.target, cell.connections), cell]));
  const direct = cells.get(cellKey("direct", c));
  const bun = cells.get(cellKey("bun-proxy", c));
  const rows = [
    `### ${c} connection${c === 1 ? "" : "s"}`, "",
    "| config | req/s | vs direct | p50 ms | p99 ms | p99.9 ms | +p50 ms | +p99 ms | " +
      "CPU µs/req | vs Bun CPU | upstream CPU µs/req | new upstream conns | errors | " +
      "req/s per round | other load % |",
    "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---|---:|",
  ];
  for (const target of report.targets) {
    const cell = cells.get(cellKey(target.id, c));
    if (!cell) continue;
    const isDirect = target.id === "direct";
    rows.push([
      `| ${target.label}`,
      int(cell.rps),
      direct ? `${(cell.rps / direct.rps).toFixed(2)}` : "–",
      ms(cell.p50Us), ms(cell.p99Us), ms(cell.p999Us),
      isDirect || !direct ? "–" : ms(cell.p50Us - direct.p50Us),
      isDirect || !direct ? "–" : ms(cell.p99Us - direct.p99Us),
      num(cell.proxyCpuUs),
      cell.proxyCpuUs !== null && bun?.proxyCpuUs
        ? `×${(cell.proxyCpuUs / bun.proxyCpuUs).toFixed(2)}` : "–",
      num(cell.upstreamCpuUs),
      int(cell.newUpstreamConnections),
      String(cell.errors),
      cell.rpsPerRound.map(int).join(" / "),
      `${int(cell.foreignMaxPct)}${loaderNote(cell)} |`,
    ].join(" | "));
  }
  return rows;
}

function loaderNote(cell: CellSummary): string {
  // A load generator near a full core caps the figure: the proxy was not the bottleneck.
  return cell.loaderMaxPct >= 90 ? " (load-bound)" : "";
}

function marginalTable(report: RunReport): string[] {
  const label = (id: string) => report.targets.find((t) => t.id === id)?.label ?? id;
  const note = (id: string) => report.targets.find((t) => t.id === id)?.note ?? "";
  const rows = [
    `### Cost of each check (CPU at c=${report.plan.throughputConnections}, latency at c=1)`, "",
    "| config | adds to | CPU µs/req | Δ CPU µs/req | Δ / pass-through CPU | " +
      "config / pass-through CPU | Δ p50 ms (c=1) | Δ p99 ms (c=1) | what the difference holds |",
    "|---|---|---:|---:|---:|---:|---:|---:|---|",
  ];
  for (const m of report.marginal) {
    rows.push(`| ${label(m.target)} | ${label(m.base)} | ${num(m.cpuUs)} | ` +
      `${signed(m.deltaCpuUs)} | ` +
      `${percent(m.deltaOverPass)} | ${ratio(m.totalOverPass)} | ${ms(m.deltaP50Us)} | ` +
      `${ms(m.deltaP99Us)} | ${note(m.target)} |`);
  }
  if (report.marginal.length === 0) rows.push("| (no gateway config measured) | | | | | | | | |");
  return rows;
}

function readingNotes(): string[] {
  return [
    "How to read: CPU µs/req is the CPU time of the proxy's whole process tree divided by the",
    "requests it served; it is the steadiest figure on a shared machine. \"new upstream conns\"",
    "counts connections the upstream saw for the first time during the measurement (a pool that",
    "keeps its connections shows 0; \"direct\" shows the load generator's own).",
    "\"other load %\" is busy CPU no benchmark process used (other programs): above ~25 % the",
    "figures are disturbed.",
    "\"(load-bound)\" marks figures where the load generator used a whole core.",
  ];
}

const int = (v: number) => (Number.isFinite(v) ? Math.round(v).toLocaleString("en-US") : "–");
const num = (v: number | null) => (v !== null && Number.isFinite(v) ? v.toFixed(1) : "–");
const ms = (us: number) => (Number.isFinite(us) ? (us / 1000).toFixed(3) : "–");
const signed = (v: number) => (Number.isFinite(v) ? `${v >= 0 ? "+" : ""}${v.toFixed(1)}` : "–");
const ratio = (v: number) => (Number.isFinite(v) ? `${v.toFixed(2)}×` : "–");
const percent = (v: number) =>
  Number.isFinite(v) ? `${v >= 0 ? "+" : "−"}${Math.abs(v * 100).toFixed(0)}%` : "–";
