import { closeSync, openSync, readFileSync, unlinkSync, writeSync } from "node:fs";
import { join } from "node:path";

const lockName = "LOCK";

/**
 * Claims a segment directory for this process. Two writers on one chain would interleave
 * their batches and both rewrite HEAD, so a second gateway on the same directory refuses to
 * start. The lock holds the owner's pid; a lock left by a process that no longer runs (after
 * `kill -9`) is taken over.
 */
export function lockDirectory(dir: string): () => void {
  const path = join(dir, lockName);
  for (let attempt = 0; attempt < 2; attempt++) {
    try {
      const fd = openSync(path, "wx", 0o640);
      writeSync(fd, String(process.pid));
      closeSync(fd);
      return () => release(path);
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== "EEXIST") throw error;
      const owner = Number(readFileSync(path, "utf8").trim());
      if (owner !== process.pid && processRuns(owner)) {
        throw new Error(`audit directory ${dir} is in use by process ${owner}`);
      }
      unlinkSync(path);
    }
  }
  throw new Error(`could not lock audit directory ${dir}`);
}

function processRuns(pid: number): boolean {
  if (!Number.isInteger(pid) || pid <= 0) return false;
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    // EPERM: it runs under another user, which still makes it the owner.
    return (error as NodeJS.ErrnoException).code === "EPERM";
  }
}

function release(path: string): void {
  try {
    unlinkSync(path);
  } catch {
    // Already gone (the directory was removed under us); nothing to release.
  }
}
