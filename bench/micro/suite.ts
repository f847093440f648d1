import { readdirSync } from "node:fs";
import { basename, join } from "node:path";
import { spawnBounded } from "../e2e/processes.ts";
import { microResultMarker, type MicroCaseResult } from "./micro-result.ts";
import { findSeries, type SizeSeries } from "./series.ts";

/**
 * Runs every `bench/micro/*.bench.ts` in its own process, one after the other (they would only
 * disturb each other in parallel), with mitata captured so each reports the same JSON.
 */

export interface MicroFileReport {
  readonly file: string;
  readonly cases: MicroCaseResult[];
  /** Lines the file printed itself (its own ratios and remarks). */
  readonly notes: string[];
  readonly error: string | null;
  readonly seconds: number;
}

export interface MicroReport {
  readonly startedAt: string;
  readonly files: MicroFileReport[];
  readonly series: SizeSeries[];
}

export interface SuiteOptions {
  /** CPU time per case for files using runMicro (BENCH_TIME_MS). */
  readonly timePerCaseMs: number;
  /** Seconds one file may run before it is stopped. */
  readonly fileBudgetS: number;
  /** Only files whose name contains one of these. */
  readonly only?: readonly string[];
  readonly cpus: string | null;
  readonly log?: (line: string) => void;
}

const microDir = import.meta.dir;
const ansi = /\x1b\[[0-9;]*m/g;

export function microFiles(only?: readonly string[]): string[] {
  return readdirSync(microDir)
    .filter((name) => name.endsWith(".bench.ts"))
    .filter((name) => !only || only.some((part) => name.includes(part)))
    .sort();
}

export async function runMicroSuite(options: SuiteOptions): Promise<MicroReport> {
  const startedAt = new Date().toISOString();
  const files: MicroFileReport[] = [];
  for (const name of microFiles(options.only)) {
    options.log?.(`micro: ${name}`);
    files.push(await runFile(name, options));
  }
  const series = files.flatMap((f) => findSeries(f.file, f.cases));
  return { startedAt, files, series };
}

async function runFile(name: string, options: SuiteOptions): Promise<MicroFileReport> {
  const started = performance.now();
  const proc = spawnBounded({
    name: `micro ${name}`,
    command: [process.execPath, "--preload", join(microDir, "capture-mitata.ts"),
      join(microDir, name)],
    cpus: options.cpus,
    budgetS: options.fileBudgetS,
    env: { BENCH_JSON: "1", BENCH_TIME_MS: String(options.timePerCaseMs) },
  });
  const code = await proc.exited;
  const lines = proc.output().replace(ansi, "").split("\n");
  const cases: MicroCaseResult[] = [];
  const notes: string[] = [];
  for (const line of lines) {
    if (line.startsWith(microResultMarker)) {
      cases.push(...(JSON.parse(line.slice(microResultMarker.length)).cases as MicroCaseResult[]));
    } else if (line.trim() !== "") {
      notes.push(line.trimEnd());
    }
  }
  // A file with its own measuring loop may print only lines like "allow 10 rules 129 ns/call".
  if (code === 0 && cases.length === 0) cases.push(...casesFromText(notes));
  let error: string | null = null;
  if (code !== 0) error = `exited with ${code}${code === 124 ? " (time budget)" : ""}`;
  else if (cases.length === 0) error = "printed no MICRO_RESULT (does it call run() or runMicro?)";
  return {
    file: basename(name),
    cases,
    notes: error ? notes.slice(-20) : notes.slice(0, 40),
    error,
    seconds: (performance.now() - started) / 1000,
  };
}

const printedCase = /^\s*(.+?)\s+([\d.]+)\s*(ns|µs|us)\/(?:call|op|iter)\b/;

/** Cases read back from printed lines, for files that report neither way. */
function casesFromText(lines: readonly string[]): MicroCaseResult[] {
  const found: MicroCaseResult[] = [];
  for (const line of lines) {
    const match = printedCase.exec(line);
    if (!match) continue;
    const avgNs = Number(match[2]) * (match[3] === "ns" ? 1 : 1000);
    found.push({
      name: match[1]!.replace(/\s+/g, " "),
      group: "read from printed output",
      avgNs, p50Ns: Number.NaN, p99Ns: Number.NaN, minNs: Number.NaN,
      samples: 0, heapBytes: null, error: null,
    });
  }
  return found;
}
