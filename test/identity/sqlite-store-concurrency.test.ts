import { afterAll, describe, expect, test } from "bun:test";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { repoRoot } from "../support/gateway.ts";

const dir = mkdtempSync(join(tmpdir(), "portcullis-store-open-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/**
 * Opens the store once every process has started (all wait for the same instant), like the
 * workers of `serve --workers N` on a fresh data dir, then reads through it.
 */
const opener = `
import { openSqliteStore } from ${JSON.stringify(join(repoRoot, "src/identity/sqlite-store.ts"))};
const [file, startAt] = process.argv.slice(2);
await Bun.sleep(Math.max(0, Number(startAt) - Date.now()));
const store = openSqliteStore(file);
store.listConsumers();
store.close();
console.log("opened");
`;

describe("SQLite identity store", () => {
  test("several processes opening the same new store file at once all succeed", async () => {
    const script = join(dir, "open-store.ts");
    writeFileSync(script, opener);
    for (let round = 0; round < 3; round++) {
      const file = join(dir, `round-${round}`, "identity.sqlite");
      const startAt = Date.now() + 1500;
      const children = Array.from({ length: 6 }, () =>
        Bun.spawn([process.execPath, script, file, String(startAt)], {
          stdout: "pipe",
          stderr: "pipe",
        }),
      );
      const results = await Promise.all(
        children.map(async (child) => {
          const timer = setTimeout(() => child.kill("SIGKILL"), 20_000);
          const [out, err, code] = await Promise.all([
            new Response(child.stdout).text(),
            new Response(child.stderr).text(),
            child.exited,
          ]);
          clearTimeout(timer);
          return `${code} ${out.trim()} ${err.includes("SQLITE_BUSY") ? "SQLITE_BUSY" : ""}`;
        }),
      );
      expect(results).toEqual(Array(6).fill("0 opened "));
    }
  }, 60_000);
});
