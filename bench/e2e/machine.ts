import { readFileSync } from "node:fs";
import { release } from "node:os";
import type { MachineInfo } from "./report.ts";

/** What the run was measured on, for the report header. */
export function describeMachine(cores: number): MachineInfo {
  const cpuinfo = safeRead("/proc/cpuinfo");
  const model = /^model name\s*:\s*(.+)$/m.exec(cpuinfo)?.[1] ?? "unknown CPU";
  return {
    cpuModel: model.trim(),
    cores,
    kernel: `Linux ${release()}`,
    bun: Bun.version,
    tools: {
      wrk: firstLine(["wrk", "--version"]),
      nginx: firstLine(["nginx", "-v"]),
      caddy: firstLine(["caddy", "version"]),
    },
  };
}

function firstLine(command: string[]): string | null {
  const path = Bun.which(command[0]!) ?? Bun.which(command[0]!, { PATH: "/usr/sbin" });
  if (!path) return null;
  const out = Bun.spawnSync([path, ...command.slice(1)], { stdout: "pipe", stderr: "pipe" });
  const text = `${out.stdout.toString()}${out.stderr.toString()}`.trim();
  return text.split("\n")[0]?.slice(0, 120) ?? null;
}

function safeRead(path: string): string {
  try {
    return readFileSync(path, "utf8");
  } catch {
    return "";
  }
}
