import { join } from "node:path";
import { spawnBounded } from "../e2e/processes.ts";
import type { LoadResult, LoadSpec } from "./result.ts";

/**
 * Runs one bounded load in its own process, pinned to the load CPUs: wrk when installed
 * (`apt-get install wrk`), else the bundled Bun generator. Both report the same `LoadResult`.
 */

export type GeneratorName = "wrk" | "bundled";

export const wrkPath = Bun.which("wrk");

export interface RunLoadOptions {
  readonly generator: GeneratorName;
  readonly cpus: string | null;
  /** Load threads (wrk) when more than one core is given to the load. */
  readonly threads: number;
}

export async function runLoad(spec: LoadSpec, options: RunLoadOptions): Promise<LoadResult> {
  return options.generator === "wrk" && wrkPath
    ? runWrk(wrkPath, spec, options)
    : runBundled(spec, options);
}

async function runBundled(spec: LoadSpec, options: RunLoadOptions): Promise<LoadResult> {
  const headerArgs = Object.entries(spec.headers).flatMap(([n, v]) => ["-H", `${n}: ${v}`]);
  const proc = spawnBounded({
    name: "load",
    command: [
      process.execPath, join(import.meta.dir, "main.ts"),
      "--url", spec.url,
      "-c", String(spec.connections),
      "-d", String(spec.durationMs),
      "--timeout-ms", String(spec.timeoutMs),
      ...headerArgs,
    ],
    cpus: options.cpus,
    budgetS: spec.durationMs / 1000 + 30,
  });
  const code = await proc.exited;
  const line = proc.output().split("\n").find((l) => l.startsWith('{"generator"'));
  if (code !== 0 || !line) {
    throw new Error(`load generator failed (exit ${code}):\n${proc.output()}`);
  }
  return JSON.parse(line) as LoadResult;
}

async function runWrk(wrk: string, spec: LoadSpec, options: RunLoadOptions): Promise<LoadResult> {
  const threads = Math.max(1, Math.min(options.threads, spec.connections));
  // wrk takes whole seconds; the measured window is what it reports back.
  const seconds = Math.max(1, Math.round(spec.durationMs / 1000));
  const headerArgs = Object.entries(spec.headers).flatMap(([n, v]) => ["-H", `${n}: ${v}`]);
  const proc = spawnBounded({
    name: "wrk",
    command: [
      wrk, `-t${threads}`, `-c${spec.connections}`, `-d${seconds}s`,
      `--timeout`, `${Math.ceil(spec.timeoutMs / 1000)}s`,
      "-s", join(import.meta.dir, "report.lua"),
      ...headerArgs,
      spec.url,
    ],
    cpus: options.cpus,
    budgetS: seconds + 30,
  });
  const code = await proc.exited;
  const match = /WRK_RESULT (\{.*\})/.exec(proc.output());
  if (code !== 0 || !match) throw new Error(`wrk failed (exit ${code}):\n${proc.output()}`);
  const raw = JSON.parse(match[1]!) as Record<string, number>;
  const durationS = raw.durationS!;
  return {
    generator: "wrk",
    connections: spec.connections,
    durationS,
    rps: raw.requests! / durationS,
    statusErrors: raw.statusErrors!,
    socketErrors: raw.socketErrors!,
    // Filled in by the caller from this process' reaped-children CPU time.
    loaderCpuPct: Number.NaN,
    count: raw.requests!,
    meanUs: raw.meanUs!,
    maxUs: raw.maxUs!,
    p50Us: raw.p50Us!,
    p90Us: raw.p90Us!,
    p99Us: raw.p99Us!,
    p999Us: raw.p999Us!,
  };
}
