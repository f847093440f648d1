#!/usr/bin/env bun
/**
 * Runs every micro benchmark in bench/micro/ and writes bench/results/micro-<time>.json,
 * micro-latest.json and micro-latest.md (the end-to-end report reads the latest one for its
 * "flat as rules/keys grow" goal).
 *
 *   bun bench/micro/run.ts [--only policy,rate] [--time-ms 300] [--out DIR]
 */
import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { parseArgs } from "node:util";
import { defaultResultsDir, fileTimestamp } from "../e2e/results-dir.ts";
import { microMarkdown } from "./markdown.ts";
import { runMicroSuite, type MicroReport } from "./suite.ts";

export async function runAndSaveMicro(options: {
  only?: string[];
  timePerCaseMs: number;
  outDir: string;
  cpus: string | null;
  log?: (line: string) => void;
}): Promise<MicroReport> {
  const report = await runMicroSuite({ ...options, fileBudgetS: 240 });
  mkdirSync(options.outDir, { recursive: true });
  const json = `${JSON.stringify(report, null, 2)}\n`;
  writeFileSync(join(options.outDir, `micro-${fileTimestamp()}.json`), json);
  writeFileSync(join(options.outDir, "micro-latest.json"), json);
  writeFileSync(join(options.outDir, "micro-latest.md"), `${microMarkdown(report)}\n`);
  return report;
}

if (import.meta.main) {
  const { values } = parseArgs({
    options: {
      only: { type: "string" },
      "time-ms": { type: "string", default: "300" },
      out: { type: "string", default: defaultResultsDir },
    },
  });
  const report = await runAndSaveMicro({
    only: values.only?.split(","),
    timePerCaseMs: Number(values["time-ms"]),
    outDir: values.out!,
    cpus: null,
    log: (line) => console.error(line),
  });
  console.log(microMarkdown(report));
  process.exit(report.files.some((f) => f.error) ? 1 : 0);
}
