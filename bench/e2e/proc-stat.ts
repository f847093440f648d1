import { readdirSync, readFileSync } from "node:fs";

/**
 * CPU accounting from /proc (Linux): user+system clock ticks of a process and all its live
 * descendants, of the whole machine, and of this process' reaped children. CPU time per
 * request is the steadiest figure on a shared machine: requests/s moves with whatever else
 * runs, CPU per request much less.
 */

export interface ProcEntry {
  readonly ppid: number;
  /** utime + stime, in clock ticks. */
  readonly ticks: number;
}

/** Fields after the `(comm)` field, which may itself hold spaces and parentheses. */
function statFields(text: string): string[] {
  return text.slice(text.lastIndexOf(")") + 2).split(" ");
}

export function readProcTable(): Map<number, ProcEntry> {
  const table = new Map<number, ProcEntry>();
  for (const name of readdirSync("/proc")) {
    const pid = Number(name);
    if (!Number.isInteger(pid)) continue;
    try {
      const fields = statFields(readFileSync(`/proc/${pid}/stat`, "latin1"));
      // proc(5): after comm come state(0) ppid(1) … utime(11) stime(12).
      table.set(pid, { ppid: Number(fields[1]), ticks: Number(fields[11]) + Number(fields[12]) });
    } catch {
      // The process ended between the listing and the read.
    }
  }
  return table;
}

/** The PIDs below `root` (not including it), from one snapshot of the process table. */
export function descendantsOf(root: number, table = readProcTable()): number[] {
  const children = new Map<number, number[]>();
  for (const [pid, entry] of table) {
    const list = children.get(entry.ppid) ?? [];
    list.push(pid);
    children.set(entry.ppid, list);
  }
  const found: number[] = [];
  const queue = [root];
  while (queue.length > 0) {
    for (const child of children.get(queue.shift()!) ?? []) {
      found.push(child);
      queue.push(child);
    }
  }
  return found;
}

/** CPU ticks used so far by `root` and its live descendants. */
export function treeTicks(root: number): number {
  const table = readProcTable();
  let ticks = table.get(root)?.ticks ?? 0;
  for (const pid of descendantsOf(root, table)) ticks += table.get(pid)?.ticks ?? 0;
  return ticks;
}

/** Busy (user+nice+system+irq+softirq) and steal ticks summed over all CPUs. */
export function machineTicks(): { busy: number; steal: number } {
  const line = readFileSync("/proc/stat", "latin1").split("\n", 1)[0]!;
  const v = line.trim().split(/\s+/).slice(1).map(Number);
  return { busy: v[0]! + v[1]! + v[2]! + v[5]! + v[6]!, steal: v[7] ?? 0 };
}

/** This process' own ticks and those of children it has already reaped (the load runs). */
export function selfTicks(): { own: number; reapedChildren: number } {
  const fields = statFields(readFileSync("/proc/self/stat", "latin1"));
  return {
    own: Number(fields[11]) + Number(fields[12]),
    reapedChildren: Number(fields[13]) + Number(fields[14]),
  };
}

let cachedHz: number | null = null;

/** Clock ticks per second (`getconf CLK_TCK`, 100 on nearly every Linux). */
export function clockTicksPerSecond(): number {
  if (cachedHz !== null) return cachedHz;
  const out = Bun.spawnSync(["getconf", "CLK_TCK"], { stdout: "pipe", stderr: "ignore" });
  const hz = Number(out.stdout.toString().trim());
  cachedHz = Number.isFinite(hz) && hz > 0 ? hz : 100;
  return cachedHz;
}
