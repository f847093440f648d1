import { afterAll, describe, expect, test } from "bun:test";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { repoRoot } from "../support/gateway.ts";
import { samplePolicyYaml } from "../policy/fixtures.ts";

const dir = mkdtempSync(join(tmpdir(), "portcullis-policy-cli-"));
const configPath = join(dir, "gateway.yaml");
writeFileSync(configPath, samplePolicyYaml);

afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** Runs the real CLI; bounded by a timeout so a hang fails the test instead of stalling it. */
function cli(...args: string[]) {
  const child = Bun.spawnSync([process.execPath, join(repoRoot, "src/main.ts"), ...args], {
    cwd: dir,
    timeout: 20_000,
  });
  return {
    code: child.exitCode,
    out: child.stdout.toString(),
    err: child.stderr.toString(),
  };
}

function writeFile(name: string, text: string): string {
  const path = join(dir, name);
  writeFileSync(path, text);
  return path;
}

describe("portcullis policy explain", () => {
  test("names the decision, the matched route and the deciding rule", () => {
    const run = cli("policy", "explain", "--config", configPath, "--identity", "telemetry-agent",
      "--method", "POST", "--path", "/payments/charge");
    expect(run.code).toBe(0);
    expect(run.out).toContain("decision  DENY  403 authz.denied");
    expect(run.out).toContain("reason    authz.denied.rule");
    expect(run.out).toContain("rule      deny agent-never-pays  (policy.deny[0])");
    expect(run.out).toContain("route     payments-charge  /payments/charge -> upstream payments");
    expect(run.out).toContain("caller    telemetry-agent  roles agent  scopes -  tenant -");
  });

  test("ad-hoc roles and tenant, canonical path and JSON output", () => {
    const run = cli("policy", "explain", "--config", configPath, "--roles", "vendor", "--tenant",
      "vendor-a", "--method", "get", "--path", "/vendors/./vendor-a/records/1?x=1", "--json");
    expect(run.code).toBe(0);
    const explanation = JSON.parse(run.out);
    expect(explanation).toMatchObject({
      decision: "allow",
      ruleId: "vendor-records.roles",
      canonicalPath: "/vendors/vendor-a/records/1",
      params: { tenant: "vendor-a" },
    });
  });

  test("a header tenant binding reads --header", () => {
    const run = cli("policy", "explain", "--config", configPath, "--identity", "vendor-b",
      "--method", "GET", "--path", "/feed/news", "--header", "X-Vendor: vendor-a");
    expect(run.out).toContain("reason    authz.tenant_mismatch");
  });

  test("an unknown identity is an error listing the known ones", () => {
    const run = cli("policy", "explain", "--config", configPath, "--identity", "mallory",
      "--method", "GET", "--path", "/telemetry/x");
    expect(run.code).toBe(1);
    expect(run.err).toContain('unknown identity "mallory" (known: telemetry-agent, vendor-a,');
  });
});

describe("portcullis policy test", () => {
  const cases = (expectVendorB: string) => `
config: gateway.yaml
cases:
  - name: agent reads telemetry
    identity: telemetry-agent
    method: GET
    path: /telemetry/cpu
    expect: allow
    rule: agent-reads-telemetry
  - name: agent never pays
    identity: telemetry-agent
    method: POST
    path: /payments/charge
    expect: deny
    reason: authz.denied.rule
  - name: vendor A cannot read vendor B
    caller: { roles: [vendor], tenant: vendor-a }
    method: GET
    path: /vendors/vendor-b/records/1
    expect: ${expectVendorB}
  - name: anonymous callers get the authentication answer
    anonymous: true
    method: GET
    path: /telemetry/cpu
    expect: deny
    status: 401
`;

  test("passing expectations exit 0 with one line per case", () => {
    const run = cli("policy", "test", writeFile("pass.yaml", cases("deny")));
    expect(run.code).toBe(0);
    expect(run.out).toContain("ok     1  agent reads telemetry: allow by agent-reads-telemetry");
    expect(run.out).toContain(
      "ok     3  vendor A cannot read vendor B: deny by vendor-records.tenant",
    );
    expect(run.out).toContain("4 cases: 4 passed, 0 failed");
  });

  test("a mismatch exits 1 and says what was expected and what happened", () => {
    const run = cli("policy", "test", writeFile("fail.yaml", cases("allow")));
    expect(run.code).toBe(1);
    expect(run.out).toContain(
      "FAIL   3  vendor A cannot read vendor B: expected allow, got deny " +
        "(403 authz.tenant_mismatch by vendor-records.tenant)",
    );
    expect(run.out).toContain("4 cases: 3 passed, 1 failed");
  });

  test("a malformed test file is refused with its line", () => {
    const path = writeFile("bad.yaml", "cases:\n  - identity: x\n    method: GET\n    path: /a\n");
    const run = cli("policy", "test", path, "--config", configPath);
    expect(run.code).toBe(1);
    expect(run.err).toContain(`${path}:2  cases[0].expect`);
  });
});

describe("portcullis policy matrix", () => {
  test("lists, per role, the routes and methods it reaches and what is denied", () => {
    const run = cli("policy", "matrix", "--config", configPath);
    expect(run.code).toBe(0);
    const lines = run.out.split("\n").map((line) => line.split(/\s{2,}/));
    expect(lines[0]).toEqual(["SUBJECT", "ROUTE", "PATH", "METHODS", "NOTES"]);
    expect(lines).toContainEqual(["agent", "telemetry", "/telemetry/*", "GET HEAD"]);
    expect(lines).toContainEqual([
      "agent",
      "payments-charge",
      "/payments/charge",
      "-",
      "denied POST by agent-never-pays",
    ]);
    expect(lines).toContainEqual([
      "vendor",
      "vendor-records",
      "/vendors/:tenant/records/*",
      "GET HEAD POST",
      "tenant = :tenant",
    ]);
    expect(lines).toContainEqual(["(anonymous)", "public", "/public/*", "GET HEAD"]);
  });

  test("--json gives the same rows as data", () => {
    const rows = JSON.parse(cli("policy", "matrix", "--config", configPath, "--json").out);
    expect(rows).toContainEqual(
      expect.objectContaining({ subject: "finance", route: "payments-charge", methods: ["POST"] }),
    );
  });
});

describe("policy problems on the command line", () => {
  const broken = samplePolicyYaml.replace(
    "groups: [payments]\n    - { id: no-debug",
    "groups: [paymnts]\n    - { id: no-debug",
  );

  test("portcullis check prints the static analysis warnings and still exits 0", () => {
    const yaml = samplePolicyYaml.replace(
      "  identities:\n",
      "  identities:\n    auditor-bot: { roles: [auditor] }\n",
    );
    const path = writeFile("warn.yaml", yaml);
    const run = cli("check", path);
    expect(run.code).toBe(0);
    expect(run.out).toContain(
      'warning  policy.identities.auditor-bot.roles[0]: role "auditor" is granted nowhere',
    );
  });

  test("a rule naming an unknown group fails check and every policy command with its line", () => {
    expect(broken).not.toBe(samplePolicyYaml);
    const path = writeFile("broken.yaml", broken);
    const line = broken.split("\n").findIndex((l) => l.includes("[paymnts]")) + 1;
    for (const args of [["check", path], ["policy", "matrix", "--config", path]]) {
      const run = cli(...args);
      expect(run.code).toBe(1);
      const where = `${path}:${line}  policy.deny[0].groups[0]`;
      expect(run.err).toContain(`${where}: unknown group "paymnts"`);
    }
  });
});
