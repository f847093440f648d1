import { join } from "node:path";
import { repoRoot } from "./gateway-targets.ts";

/** Whether `portcullis serve` takes `--workers N` (it is landing separately). */
export function gatewayHasWorkers(): boolean {
  const out = Bun.spawnSync(
    [process.execPath, join(repoRoot, "src/main.ts"), "serve", "--help"],
    { cwd: repoRoot, stdout: "pipe", stderr: "pipe", timeout: 20_000 },
  );
  return /--workers\b/.test(out.stdout.toString() + out.stderr.toString());
}
