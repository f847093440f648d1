import { existsSync, readdirSync } from "node:fs";
import { join } from "node:path";
import { headFileName } from "./head-file.ts";
import { listSegments } from "./segment-files.ts";

/** One hash chain: a directory of segments written by one gateway process. */
export interface AuditChain {
  /** `.` for the directory itself, `worker-<n>` for a worker's chain below it. */
  readonly name: string;
  readonly dir: string;
}

const workerChain = /^worker-\d+$/;

/**
 * The chains under an audit directory: the directory itself when a single process writes
 * there, and one `worker-<n>` subdirectory per worker of `serve --workers N`. Each chain is
 * verified on its own; their records interleave in time but not in any one file.
 */
export function listChains(dir: string): AuditChain[] {
  const chains: AuditChain[] = [];
  if (isChain(dir)) chains.push({ name: ".", dir });
  let names: string[] = [];
  try {
    names = readdirSync(dir);
  } catch {
    return chains;
  }
  const workers = names
    .filter((n) => workerChain.test(n))
    .sort((a, b) => Number(a.slice(7)) - Number(b.slice(7)));
  for (const name of workers) {
    const path = join(dir, name);
    if (isChain(path)) chains.push({ name, dir: path });
  }
  return chains;
}

function isChain(dir: string): boolean {
  return existsSync(join(dir, headFileName)) || listSegments(dir).length > 0;
}
