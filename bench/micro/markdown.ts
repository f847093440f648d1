import { flatRatio } from "./series.ts";
import type { MicroReport } from "./suite.ts";

/** The micro benchmarks as Markdown: one table of every case, then the size series. */
export function microMarkdown(report: MicroReport): string {
  const out: string[] = [];
  out.push(`Micro benchmarks (mitata), run ${report.startedAt}.`, "");
  out.push("| file | case | avg | p50 | p99 | heap/iter |", "|---|---|---:|---:|---:|---:|");
  for (const file of report.files) {
    if (file.error) out.push(`| ${file.file} | **failed: ${file.error}** | | | | |`);
    for (const c of file.cases) {
      const heap = c.heapBytes === null ? "–" : `${Math.max(0, c.heapBytes).toFixed(0)} B`;
      out.push(c.error
        ? `| ${file.file} | ${c.name} | error: ${c.error} | | | |`
        : `| ${file.file} | ${c.name} | ${ns(c.avgNs)} | ${ns(c.p50Ns)} | ${ns(c.p99Ns)} | ` +
          `${heap} |`);
    }
  }
  if (report.series.length > 0) {
    out.push("", `Size series (flat = largest size costs ≤ ${flatRatio}× the smallest):`, "");
    out.push("| file | series | smallest | largest | ratio | flat |");
    out.push("|---|---|---:|---:|---:|---|");
    for (const s of report.series) {
      out.push(`| ${s.file} | ${s.name} | ${s.smallest.size}: ${ns(s.smallest.avgNs)} | ` +
        `${s.largest.size}: ${ns(s.largest.avgNs)} | ×${s.ratio.toFixed(2)} | ` +
        `${s.flat ? "yes" : "**no**"} |`);
    }
  }
  return out.join("\n");
}

export function ns(value: number): string {
  if (!Number.isFinite(value)) return "–";
  if (value >= 1e6) return `${(value / 1e6).toFixed(2)} ms`;
  if (value >= 1e3) return `${(value / 1e3).toFixed(2)} µs`;
  return `${value.toFixed(1)} ns`;
}
