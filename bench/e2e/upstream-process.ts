import { join } from "node:path";
import { spawnBounded, type BoundedProcess } from "./processes.ts";
import type { Upstream } from "./measure.ts";

/** Starts the benchmark upstream (bench/servers/upstream.ts) for the whole run. */
export async function startUpstream(
  cpus: string | null,
  budgetS: number,
): Promise<Upstream & { process: BoundedProcess }> {
  const proc = spawnBounded({
    name: "upstream",
    command: [process.execPath, join(import.meta.dir, "../servers/upstream.ts")],
    cpus,
    budgetS,
    env: { PORT: "0" },
  });
  const match = await proc.waitFor(/upstream listening port=(\d+)/, 10_000);
  const url = `http://127.0.0.1:${match[1]}`;
  return {
    url,
    pid: proc.pid,
    process: proc,
    async stats() {
      const response = await fetch(`${url}/__bench/stats`, { signal: AbortSignal.timeout(2_000) });
      return (await response.json()) as { connections: number; requests: number };
    },
  };
}
