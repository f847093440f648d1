import { canPin } from "./processes.ts";

/**
 * Which cores run what. The proxy under test gets core 0 to itself; the upstream and the load
 * generator share the others, so every proxy is measured on one core, as in BUN-NOTES §1.16.
 * Scaling runs give the gateway every core. On one core, or without taskset, nothing is pinned
 * and the report says so.
 */
export interface Placement {
  readonly cores: number;
  readonly pinned: boolean;
  readonly proxyCpus: string | null;
  readonly proxyCpuCount: number;
  readonly loadCpus: string | null;
  readonly loadCpuCount: number;
  readonly allCpus: string | null;
  readonly note: string;
}

export function choosePlacement(): Placement {
  const nproc = Bun.spawnSync(["nproc"], { stdout: "pipe", stderr: "ignore" });
  const cores = Number(nproc.stdout.toString().trim()) || navigator.hardwareConcurrency || 1;
  if (!canPin || cores < 2) {
    return {
      cores, pinned: false, proxyCpus: null, proxyCpuCount: cores, loadCpus: null,
      loadCpuCount: cores, allCpus: null,
      note: canPin ? "one core: nothing pinned, proxy and load share it"
        : "taskset missing: nothing pinned (apt-get install util-linux)",
    };
  }
  const load = cores === 2 ? "1" : `1-${cores - 1}`;
  return {
    cores,
    pinned: true,
    proxyCpus: "0",
    proxyCpuCount: 1,
    loadCpus: load,
    loadCpuCount: cores - 1,
    allCpus: `0-${cores - 1}`,
    note: `proxy on CPU 0; upstream and load generator on CPU ${load}`,
  };
}
