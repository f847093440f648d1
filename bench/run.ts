#!/usr/bin/env bun
/**
 * `npm run bench`: the gateway under each check, side by side with direct calls and the peers
 * installed here, in one run. Writes bench/results/<time>.{json,md,svg} and latest.*.
 *
 *   bun bench/run.ts            default run (< 3 min on 2 cores)
 *   bun bench/run.ts --full     3 rounds × 8 s at 1, 50 and 256 connections, micro benchmarks
 *   bun bench/run.ts --smoke    direct + pass-through, 1 round of 1 s (the harness test)
 *   bun bench/run.ts --help     every option
 */
import { Command } from "commander";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { runBench } from "./e2e/run-bench.ts";
import { defaultResultsDir } from "./e2e/results-dir.ts";
import { stopAll } from "./e2e/processes.ts";

const program = new Command()
  .name("bench")
  .description("End-to-end benchmark: Portcullis per check, direct, and peer proxies")
  .option("--full", "long set: 3 rounds of 8 s at 1, 50 and 256 connections, plus micro")
  .option("--smoke", "tiny run for the harness test (bundled load generator, no peers)")
  .option("--only <ids>", "comma-separated target ids (see --list)")
  .option("--list", "list the targets and whether each can run here, then exit")
  .option("--generator <name>", "wrk or bundled (default: wrk when installed)")
  .option("--rounds <n>", "interleaved rounds")
  .option("--duration-ms <ms>", "length of each measurement")
  .option("--connections <list>", "connection counts, e.g. 1,50,256")
  .option("--micro", "also run the micro benchmarks (bench/micro/run.ts) first")
  .option("--no-scaling", "skip the --workers scaling runs")
  .option("--quiet-wait <s>", "wait up to this long for other load to calm down")
  .option("--max-foreign <pct>", "drop measurements disturbed by more than this % of a core")
  .option("--profile <id>", "also run one gateway config under Bun's CPU profiler")
  .option("--out <dir>", "results folder", defaultResultsDir)
  .option("--keep", "keep the temp folder with configs and logs")
  .parse();

const flags = program.opts();
const workDir = mkdtempSync(join(tmpdir(), "portcullis-bench-"));
const cleanup = async (code: number) => {
  await stopAll();
  if (!flags.keep) rmSync(workDir, { recursive: true, force: true });
  process.exit(code);
};
process.on("SIGINT", () => void cleanup(130));
process.on("SIGTERM", () => void cleanup(143));

try {
  const outcome = await runBench(flags as never, workDir, (line) => console.error(line));
  if (outcome) {
    console.log(outcome.text);
    console.error(`results: ${outcome.json}, ${outcome.markdown}` +
      (outcome.svg ? `, ${outcome.svg}` : ` (no chart: ${outcome.chartError})`));
  }
  if (flags.keep) console.error(`work folder kept: ${workDir}`);
  await cleanup(0);
} catch (error) {
  console.error(error instanceof Error ? error.stack ?? error.message : error);
  await cleanup(1);
}
