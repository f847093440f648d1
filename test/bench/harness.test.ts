import { expect, test } from "bun:test";
import { mkdtempSync, readdirSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";

const repoRoot = resolve(import.meta.dir, "../..");

// One tiny real run: upstream, gateway pass-through and direct, the bundled load generator
// (no wrk, nginx or Caddy needed), 1 round of 1 s. Checks the files a user gets, not speed.
test("bench --smoke starts everything and writes a well-formed result", async () => {
  const out = mkdtempSync(join(tmpdir(), "portcullis-bench-smoke-"));
  try {
    const child = Bun.spawn(
      [process.execPath, join(repoRoot, "bench/run.ts"), "--smoke", "--out", out],
      { cwd: repoRoot, stdout: "pipe", stderr: "pipe", timeout: 90_000 },
    );
    const [stdout, stderr, code] = await Promise.all([
      new Response(child.stdout).text(),
      new Response(child.stderr).text(),
      child.exited,
    ]);
    expect({ code, stderr: code === 0 ? "" : stderr }).toEqual({ code: 0, stderr: "" });

    const files = readdirSync(out);
    const json = files.find((f) => f.endsWith(".json"));
    expect(json).toBeDefined();
    expect(files).toContain(json!.replace(/\.json$/, ".md"));
    expect(files).toContain(json!.replace(/\.json$/, ".svg"));
    // A smoke run never overwrites the real latest.* files.
    expect(files.filter((f) => f.startsWith("latest"))).toEqual([]);

    const report = JSON.parse(readFileSync(join(out, json!), "utf8"));
    expect(report.version).toBe(1);
    expect(report.plan.generator).toBe("bundled");
    const measured = report.targets.filter((t: { status: string }) => t.status === "measured");
    expect(measured.map((t: { id: string }) => t.id).sort()).toEqual(["direct", "gw-pass"]);
    for (const m of report.measurements) {
      expect(m.load.count).toBeGreaterThan(0);
      expect(m.load.rps).toBeGreaterThan(0);
      expect(m.load.statusErrors + m.load.socketErrors).toBe(0);
      expect(m.load.p50Us).toBeGreaterThan(0);
      expect(m.load.p99Us).toBeGreaterThanOrEqual(m.load.p50Us);
    }
    const gateway = report.measurements.find((m: { target: string }) => m.target === "gw-pass");
    expect(gateway.proxyCpuUs).toBeGreaterThan(0);
    expect(report.goals.length).toBeGreaterThan(0);

    const markdown = readFileSync(join(out, json!.replace(/\.json$/, ".md")), "utf8");
    expect(markdown).toContain("| direct (no proxy) |");
    expect(markdown).toContain("| Portcullis pass-through |");
    expect(stdout).toContain("| Portcullis pass-through |");
    const svg = readFileSync(join(out, json!.replace(/\.json$/, ".svg")), "utf8");
    expect(svg.startsWith("<svg")).toBe(true);
  } finally {
    rmSync(out, { recursive: true, force: true });
  }
}, 120_000);
