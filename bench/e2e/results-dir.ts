import { join, resolve } from "node:path";

/** Where runs are written unless `--out` says otherwise. */
export const defaultResultsDir = resolve(import.meta.dir, "../results");

/** A file-name-safe UTC timestamp such as 2025-12-03T16-45-12Z. */
export function fileTimestamp(date = new Date()): string {
  return date.toISOString().replace(/\.\d+Z$/, "Z").replaceAll(":", "-");
}

export function resultPath(dir: string, name: string): string {
  return join(dir, name);
}
