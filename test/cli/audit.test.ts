import { describe, expect, test } from "bun:test";
import { mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { stringify } from "yaml";
import type { AuditEvent } from "../../src/audit/event.ts";
import { readFrames } from "../../src/audit/reader.ts";
import { createAuditTrail } from "../../src/audit/trail.ts";
import { captureLogger, configWith, sampleEvent, tempDir } from "../audit/fixtures.ts";
import { repoRoot } from "../support/gateway.ts";

const t0 = Date.parse("2031-05-01T10:00:00.000Z");

/** 40 records: alice/bob alternating, every 5th a 403 denial, one a minute from t0. */
async function writeSample(base: string, audit: Record<string, unknown> = {}) {
  const trail = createAuditTrail(configWith(base, { batchRecords: 10, ...audit }), quiet());
  for (let i = 0; i < 40; i++) trail.enqueue(sampleEvent(i, { time: t0 + i * 60_000 }));
  trail.enqueue(sampleEvent(40, { time: t0 + 40 * 60_000, subject: "=cmd|' /C calc'!A0" }));
  await trail.close();
  return trail.dir!;
}

function quiet() {
  return captureLogger().logger;
}

async function portcullis(args: string[], env: Record<string, string> = {}) {
  const child = Bun.spawn([process.execPath, join(repoRoot, "src/main.ts"), "audit", ...args], {
    cwd: repoRoot,
    env: { ...process.env, ...env },
    stdout: "pipe",
    stderr: "pipe",
  });
  const [stdout, stderr, code] = await Promise.all([
    new Response(child.stdout).text(),
    new Response(child.stderr).text(),
    child.exited,
  ]);
  return { stdout, stderr, code };
}

const jsonLines = (text: string) =>
  text.split("\n").filter(Boolean).map((line) => JSON.parse(line) as Record<string, unknown>);

describe("portcullis audit", () => {
  test("query filters by identity, status class, decision, tenant and time", async () => {
    const dir = await writeSample(tempDir());
    const alice = await portcullis(["query", "--dir", dir, "--identity", "alice"]);
    expect(alice.code).toBe(0);
    const aliceRecords = jsonLines(alice.stdout);
    expect(aliceRecords.length).toBe(20);
    expect(aliceRecords.every((r) => r.subject === "alice")).toBe(true);
    expect(aliceRecords[0]!.time).toBe("2031-05-01T10:00:00.000Z");

    const denied = jsonLines((await portcullis(["query", "--dir", dir, "--status", "4xx"])).stdout);
    expect(denied.map((r) => r.requestId)).toEqual(
      ["req-0", "req-5", "req-10", "req-15", "req-20", "req-25", "req-30", "req-35", "req-40"],
    );
    const window = await portcullis([
      "query", "--dir", dir, "--since", "2031-05-01T10:10:00Z", "--until", "2031-05-01T10:13:00Z",
      "--decision", "allow", "--tenant", "t2", "--credential", "key-bob", "--route", "orders",
    ]);
    expect(jsonLines(window.stdout).map((r) => r.requestId)).toEqual(["req-11"]);
    const one = await portcullis(["query", "--dir", dir, "--request-id", "req-33"]);
    expect(jsonLines(one.stdout).map((r) => r.requestId)).toEqual(["req-33"]);
    expect(one.stderr).toContain("1 record(s)");
  });

  test("rejects malformed filters with a message and exit 1", async () => {
    const dir = await writeSample(tempDir());
    const badStatus = await portcullis(["query", "--dir", dir, "--status", "5x"]);
    expect(badStatus.code).toBe(1);
    expect(badStatus.stderr).toContain("--status");
    const badTime = await portcullis(["query", "--dir", dir, "--since", "yesterday-ish"]);
    expect(badTime.code).toBe(1);
    expect(badTime.stderr).toContain("not a time");
    const missing = await portcullis(["query", "--dir", join(dir, "nope")]);
    expect(missing.code).toBe(1);
  });

  test("tail prints the newest records in order", async () => {
    const dir = await writeSample(tempDir());
    const { stdout, code } = await portcullis(["tail", "--dir", dir, "-n", "3"]);
    expect(code).toBe(0);
    expect(jsonLines(stdout).map((r) => r.requestId)).toEqual(["req-38", "req-39", "req-40"]);
  });

  test("tail --follow prints records written after it started", async () => {
    const base = tempDir();
    const dir = await writeSample(base);
    const args = ["audit", "tail", "--dir", dir, "-n", "1", "-f"];
    const child = Bun.spawn([process.execPath, join(repoRoot, "src/main.ts"), ...args], {
      cwd: repoRoot,
      stdout: "pipe",
      stderr: "pipe",
    });
    let text = "";
    const reading = (async () => {
      const decoder = new TextDecoder();
      for await (const chunk of child.stdout) text += decoder.decode(chunk, { stream: true });
    })();
    try {
      const deadline = Date.now() + 10_000;
      while (!text.includes("req-40") && Date.now() < deadline) await Bun.sleep(20);
      const trail = createAuditTrail(configWith(base, { batchRecords: 10 }), quiet());
      for (let i = 100; i < 103; i++) trail.enqueue(sampleEvent(i));
      await trail.close();
      while (!text.includes("req-102") && Date.now() < deadline) await Bun.sleep(20);
    } finally {
      child.kill("SIGTERM");
      await child.exited;
      await reading;
    }
    const ids = jsonLines(text).map((r) => r.requestId);
    expect(ids).toEqual(["req-40", "req-100", "req-101", "req-102"]);
  });

  test("export writes CSV with neutralised formulas, or JSON Lines to a file", async () => {
    const base = tempDir();
    const dir = await writeSample(base);
    const csv = await portcullis(["export", "--dir", dir, "--format", "csv", "--status", "403"]);
    const rows = csv.stdout.trimEnd().split("\n");
    expect(rows[0]).toStartWith("time,requestId,node,client,subject,");
    expect(rows.length).toBe(10);
    expect(rows.at(-1)).toContain(`'=cmd|' /C calc'!A0`);
    expect(csv.stderr).toContain("9 record(s) exported");

    const out = join(base, "export.jsonl");
    const jsonl = await portcullis(["export", "--dir", dir, "--format", "jsonl", "-o", out]);
    expect(jsonl.code).toBe(0);
    expect(jsonLines(readFileSync(out, "utf8")).length).toBe(41);
    const badFormat = await portcullis(["export", "--dir", dir, "--format", "xml"]);
    expect(badFormat.code).not.toBe(0);
  });

  test("verify passes an intact trail and names the first broken point", async () => {
    const dir = await writeSample(tempDir());
    const ok = await portcullis(["verify", "--dir", dir]);
    expect(ok.code).toBe(0);
    expect(ok.stdout).toContain("5 batch(es), 41 record(s)");

    const frames = [...readFrames(dir)].map((f) => ({
      path: f.segment.path,
      offset: f.frame.offset,
    }));
    const target = frames[3]!;
    const bytes = readFileSync(target.path);
    bytes[target.offset + 300]! ^= 0x10;
    writeFileSync(target.path, bytes);
    const broken = await portcullis(["verify", "--dir", dir]);
    expect(broken.code).toBe(1);
    expect(broken.stdout).toContain(`offset ${target.offset} (batch 4)`);
    const json = JSON.parse((await portcullis(["verify", "--dir", dir, "--json"])).stdout);
    expect(json.ok).toBe(false);
    expect(json.chains[0].broken).toMatchObject({ offset: target.offset, sequence: 4 });
  });

  test("verify checks HMACs with a key from the environment or the config", async () => {
    const base = tempDir();
    const key = "audit-hmac-key-with-32-characters!!";
    const dir = await writeSample(base, { hmacKey: key });
    const good = await portcullis(["verify", "--dir", dir, "--key-env", "K"], { K: key });
    expect(good.stdout).toContain("HMAC checked");
    expect(good.code).toBe(0);
    const wrongKey = { K: "x".repeat(32) };
    const wrong = await portcullis(["verify", "--dir", dir, "--key-env", "K"], wrongKey);
    expect(wrong.code).toBe(1);
    expect(wrong.stdout).toContain("HMAC does not match");

    const configPath = join(base, "gateway.yaml");
    const config = {
      dataDir: base,
      upstreams: { u1: { targets: ["http://127.0.0.1:9/"] } },
      routes: [],
      audit: { dir, hmacKey: "${AUDIT_KEY}" },
    };
    writeFileSync(configPath, stringify(config));
    const viaConfig = await portcullis(["verify", "--config", configPath], { AUDIT_KEY: key });
    expect(viaConfig.code).toBe(0);
    expect(viaConfig.stdout).toContain("HMAC checked");
  });

  test("reads and verifies each worker's chain under one directory", async () => {
    const base = tempDir();
    for (const worker of [0, 1]) {
      const dir = join(base, "audit", `worker-${worker}`);
      mkdirSync(dir, { recursive: true });
      const trail = createAuditTrail(configWith(base, { dir, batchRecords: 5 }), quiet());
      for (let i = 0; i < 7; i++) trail.enqueue(sampleEvent(worker * 100 + i));
      await trail.close();
    }
    const dir = join(base, "audit");
    const verify = await portcullis(["verify", "--dir", dir]);
    expect(verify.code).toBe(0);
    expect(verify.stdout.match(/^ok: /gm)?.length).toBe(2);
    const records = jsonLines((await portcullis(["query", "--dir", dir])).stdout) as unknown[];
    expect((records as AuditEvent[]).map((r) => r.requestId).length).toBe(14);
  });
});
