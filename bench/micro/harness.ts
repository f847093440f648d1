import { do_not_optimize, measure } from "mitata";
import { emitMicroResult, fromStats, jsonRequested, type MicroCaseResult } from "./micro-result.ts";

/**
 * A small wrapper over mitata's `measure` for the micro benchmarks in this folder:
 *
 *   await runMicro("header rewriting", (bench) => {
 *     bench("strip hop-by-hop", () => prepare(headers));
 *   });
 *
 * Run alone (`bun bench/micro/x.bench.ts`) it prints a table; under the runner (BENCH_JSON=1)
 * it prints one MICRO_RESULT line. BENCH_TIME_MS sets the CPU time spent per case (default
 * 300 ms), so the runner can keep the default `npm run bench` short. Heap growth per iteration
 * is measured through bun:jsc. Name cases that form a size series with the size as the last
 * number ("decide 100000 rules") so the runner can tell whether the cost stays flat.
 */

export type BenchFunction = () => unknown;
export type Register = (bench: (name: string, fn: BenchFunction) => void) => void | Promise<void>;

export { do_not_optimize };
/**
 * For files with their own measuring loop (interleaved rounds, say): report the cases with
 * `emitMicroResult(cases.map(c => fromStats(name, group, mitataStats)))` when BENCH_JSON=1.
 */
export { emitMicroResult, fromStats, jsonRequested };

export async function runMicro(title: string, register: Register): Promise<MicroCaseResult[]> {
  const cases: { name: string; fn: BenchFunction }[] = [];
  await register((name, fn) => cases.push({ name, fn }));

  const { memoryUsage } = await import("bun:jsc");
  const budgetNs = Number(process.env.BENCH_TIME_MS ?? 300) * 1e6;
  const results: MicroCaseResult[] = [];
  for (const { name, fn } of cases) {
    try {
      const stats = await measure(fn, {
        min_cpu_time: budgetNs,
        heap: () => memoryUsage().current,
      } as never);
      results.push(fromStats(name, title, stats as never));
    } catch (error) {
      results.push(fromStats(name, title, undefined, error));
    }
  }

  if (jsonRequested) emitMicroResult(results);
  else printTable(title, results);
  return results;
}

function printTable(title: string, results: readonly MicroCaseResult[]) {
  const width = Math.max(...results.map((r) => r.name.length), 10);
  console.log(`\n${title}`);
  console.log(`${"case".padEnd(width)}  ${"avg".padStart(10)}  ${"p50".padStart(10)}  ` +
    `${"p99".padStart(10)}  ${"heap/iter".padStart(10)}`);
  for (const r of results) {
    if (r.error) {
      console.log(`${r.name.padEnd(width)}  error: ${r.error}`);
      continue;
    }
    const heap = r.heapBytes === null ? "-" : `${Math.max(0, r.heapBytes).toFixed(0)} B`;
    console.log(`${r.name.padEnd(width)}  ${ns(r.avgNs)}  ${ns(r.p50Ns)}  ${ns(r.p99Ns)}  ` +
      `${heap.padStart(10)}`);
  }
}

function ns(value: number): string {
  const text = value >= 1e6 ? `${(value / 1e6).toFixed(2)} ms`
    : value >= 1e3 ? `${(value / 1e3).toFixed(2)} µs` : `${value.toFixed(1)} ns`;
  return text.padStart(10);
}
