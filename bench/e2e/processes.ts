import type { Subprocess } from "bun";
import { descendantsOf, readProcTable } from "./proc-stat.ts";

/**
 * Every process the harness starts goes through here: wrapped in `timeout` so it ends by itself
 * even if the harness is killed, pinned with `taskset` when available, tracked by PID, and
 * stopped by PID (its descendants too, found in /proc). Nothing is ever stopped by name.
 */

export interface BoundedProcess {
  readonly name: string;
  /** PID of the outermost process (`timeout`); the command runs below it. */
  readonly pid: number;
  readonly exited: Promise<number>;
  /** stdout and stderr so far. */
  output(): string;
  /** Resolves with the first match of `pattern` in the output; rejects on exit or timeout. */
  waitFor(pattern: RegExp, timeoutMs: number): Promise<RegExpExecArray>;
  stop(): Promise<void>;
}

export interface SpawnOptions {
  readonly name: string;
  readonly command: readonly string[];
  /** taskset CPU list such as "0" or "1-3"; unpinned when null or taskset is missing. */
  readonly cpus: string | null;
  /** Seconds after which `timeout` ends the process whatever happens. */
  readonly budgetS: number;
  readonly env?: Record<string, string>;
  readonly cwd?: string;
}

const tracked = new Set<BoundedProcess>();
const hasTaskset = Bun.which("taskset") !== null;
const hasTimeout = Bun.which("timeout") !== null;

export const canPin = hasTaskset;

export function spawnBounded(options: SpawnOptions): BoundedProcess {
  const prefix: string[] = [];
  if (hasTimeout) prefix.push("timeout", "-k", "5", `${Math.ceil(options.budgetS)}`);
  if (hasTaskset && options.cpus !== null) prefix.push("taskset", "-c", options.cpus);
  const child: Subprocess<"ignore", "pipe", "pipe"> = Bun.spawn([...prefix, ...options.command], {
    cwd: options.cwd,
    env: { ...process.env, ...options.env },
    stdin: "ignore",
    stdout: "pipe",
    stderr: "pipe",
  });

  let text = "";
  const collect = async (stream: ReadableStream<Uint8Array>) => {
    const decoder = new TextDecoder();
    for await (const chunk of stream) text += decoder.decode(chunk, { stream: true });
  };
  const drained = Promise.all([collect(child.stdout), collect(child.stderr)]);
  const exited = child.exited.then(async (code) => {
    await Promise.race([drained, Bun.sleep(500)]);
    return code;
  });

  const proc: BoundedProcess = {
    name: options.name,
    pid: child.pid,
    exited,
    output: () => text,
    async waitFor(pattern, timeoutMs) {
      const deadline = Date.now() + timeoutMs;
      let ended = false;
      void exited.then(() => (ended = true));
      while (Date.now() < deadline) {
        const match = pattern.exec(text);
        if (match) return match;
        if (ended) throw new Error(`${options.name} exited before it was ready`);
        await Bun.sleep(20);
      }
      throw new Error(`${options.name} not ready within ${timeoutMs} ms`);
    },
    async stop() {
      tracked.delete(proc);
      await stopTree(child.pid, exited);
    },
  };
  tracked.add(proc);
  return proc;
}

/** TERM the root and every descendant by PID, then KILL whatever is still there after 5 s. */
async function stopTree(root: number, exited: Promise<number>) {
  const pids = [root, ...descendantsOf(root)];
  for (const pid of pids) signal(pid, "SIGTERM");
  const done = await Promise.race([exited.then(() => true), Bun.sleep(5_000).then(() => false)]);
  const table = readProcTable();
  for (const pid of pids) if (!done || table.has(pid)) signal(pid, "SIGKILL");
  await Promise.race([exited, Bun.sleep(2_000)]);
}

function signal(pid: number, name: NodeJS.Signals) {
  try {
    process.kill(pid, name);
  } catch {
    // Already gone.
  }
}

/**
 * Moves a running process tree (every thread: `taskset -a`) to other CPUs. Used to give the
 * upstream the proxy's core while it is measured alone.
 */
export function pinTree(root: number, cpus: string): void {
  if (!hasTaskset) return;
  for (const pid of [root, ...descendantsOf(root)]) {
    Bun.spawnSync(["taskset", "-a", "-p", "-c", cpus, String(pid)], {
      stdout: "ignore",
      stderr: "ignore",
    });
  }
}

/** Stops everything still tracked (end of run, or on an interrupt). */
export async function stopAll(): Promise<void> {
  await Promise.all([...tracked].map((proc) => proc.stop()));
}

// If the harness dies, take what it started with it (synchronously: "exit" allows no awaits).
process.on("exit", () => {
  for (const proc of tracked) {
    for (const pid of [proc.pid, ...descendantsOf(proc.pid)]) signal(pid, "SIGKILL");
  }
});
