import { afterAll, describe, expect, test } from "bun:test";
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { repoRoot } from "../support/gateway.ts";

/**
 * `npm start` runs `portcullis demo`: three demo APIs and the gateway on the bundled config,
 * then prints curl lines. Every printed line must work as printed and show the status its
 * comment names. The demo uses the fixed ports of config/gateway.yaml (8080, 9901, 7101–7103).
 */
describe("npm start demo", () => {
  const cwd = mkdtempSync(join(tmpdir(), "portcullis-demo-"));
  const demo = Bun.spawn(
    [process.execPath, join(repoRoot, "src/main.ts"), "demo", "--config", join(repoRoot, "config/gateway.yaml")],
    { cwd, stdout: "pipe", stderr: "pipe", env: { ...process.env, NODE_ENV: "production" } },
  );
  let output = "";
  const reading = (async () => {
    const decoder = new TextDecoder();
    for await (const chunk of demo.stdout) output += decoder.decode(chunk, { stream: true });
  })();

  afterAll(async () => {
    demo.kill("SIGKILL");
    await reading.catch(() => {});
  });

  test("prints curl lines that return what their comments say", async () => {
    for (let i = 0; i < 200 && !output.includes("Ctrl-C stops everything."); i++) await Bun.sleep(50);
    expect(output).toContain("Portcullis demo is running.");

    const examples = [...output.matchAll(/^ {2}# (\d{3}): .*\n {2}(curl .*)$/gm)];
    expect(examples.length).toBeGreaterThanOrEqual(8);
    for (const [, status, command] of examples) {
      const run = Bun.spawnSync(["bash", "-c", command!]);
      const lines = run.stdout.toString().trimEnd().split("\n");
      const shown = lines.pop();
      const body = lines.join("\n");
      expect({ command, exit: run.exitCode, shown }).toEqual({ command, exit: 0, shown: status });
      if (status === "200") {
        expect({ command, problem: body.includes("application/problem") || /"status":[45]\d\d/.test(body) })
          .toEqual({ command, problem: false });
        expect(() => JSON.parse(body)).not.toThrow();
      } else {
        expect({ command, body }).toEqual({ command, body: expect.stringContaining(`"status":${status}`) });
      }
    }
  });

  test("stops the gateway and the demo APIs on Ctrl-C", async () => {
    demo.kill("SIGINT");
    expect(await demo.exited).toBe(0);
    await Bun.sleep(200);
    const stillUp = await fetch("http://127.0.0.1:7101/", { signal: AbortSignal.timeout(500) })
      .then(() => true, () => false);
    expect(stillUp).toBe(false);
  });
});
