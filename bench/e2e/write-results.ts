import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { renderChart } from "./chart.ts";
import { runMarkdown } from "./markdown.ts";
import type { RunReport } from "./report.ts";
import { fileTimestamp } from "./results-dir.ts";

export interface WrittenFiles {
  readonly json: string;
  readonly markdown: string;
  readonly svg: string | null;
  readonly chartError: string | null;
  readonly text: string;
}

/**
 * Writes `<time>.json`, `<time>.md` and `<time>.svg` into the results folder, and (for real
 * runs) `latest.md`, `latest.json` and `latest.svg` beside them.
 */
export async function writeResults(report: RunReport, dir: string, latest: boolean) {
  mkdirSync(dir, { recursive: true });
  const stamp = fileTimestamp(new Date(report.startedAt));
  const json = join(dir, `${stamp}.json`);
  const markdown = join(dir, `${stamp}.md`);
  const body = `${JSON.stringify(report, null, 2)}\n`;
  writeFileSync(json, body);

  let svgText: string | null = null;
  let chartError: string | null = null;
  try {
    svgText = await renderChart(report);
  } catch (error) {
    chartError = error instanceof Error ? error.message : String(error);
  }
  const svg = svgText === null ? null : join(dir, `${stamp}.svg`);
  if (svg) writeFileSync(svg, svgText!);

  const text = runMarkdown(report, svg ? `${stamp}.svg` : null);
  writeFileSync(markdown, text);
  if (latest) {
    writeFileSync(join(dir, "latest.json"), body);
    if (svgText) writeFileSync(join(dir, "latest.svg"), svgText);
    writeFileSync(join(dir, "latest.md"), runMarkdown(report, svgText ? "latest.svg" : null));
  }
  return { json, markdown, svg, chartError, text } satisfies WrittenFiles;
}
