import { afterAll, beforeAll, expect, test } from "bun:test";
import { startGateway, type GatewayProcess } from "../../support/gateway.ts";
import { startUpstream, type RecordingUpstream } from "../../support/upstream.ts";
import { auditRecords, bearer, policyGatewayConfig, samplePolicy } from "./policy-gateway.ts";
import { tokenFor } from "./policy-gateway.ts";

let upstream: RecordingUpstream;
let gateway: GatewayProcess;
let releaseSlow: (() => void) | null = null;

const agent = tokenFor("telemetry-agent", ["agent"]);

/** The new policy takes `slow` away from agents with a deny rule. */
const tightened = {
  ...samplePolicy,
  deny: [...samplePolicy.deny, { id: "agent-slow-frozen", roles: ["agent"], routes: ["slow"] }],
};

beforeAll(async () => {
  // `/slow/*` answers only when the test says so, keeping a request in flight across the reload.
  upstream = await startUpstream({
    respond(record, socket) {
      if (!record.target.startsWith("/slow/")) return undefined;
      releaseSlow = () => {
        const head = "HTTP/1.1 200 OK\r\ncontent-type: text/plain\r\ncontent-length: 4\r\n\r\n";
        socket.write(`${head}slow`);
      };
      return "";
    },
  });
  gateway = await startGateway(policyGatewayConfig(upstream.url));
});

afterAll(async () => {
  await gateway?.stop();
  upstream?.stop();
});

async function reload(): Promise<void> {
  const response = await fetch(`${gateway.adminUrl}/reload`, {
    method: "POST",
    headers: bearer(gateway.adminToken),
  });
  expect(response.status).toBe(200);
  expect((await response.json()) as object).toMatchObject({ reloaded: true });
}

test("a reload swaps the tables; an admitted request finishes under the old ones", async () => {
  const inFlight = fetch(`${gateway.url}/slow/report`, { headers: bearer(agent) });
  const deadline = Date.now() + 5000;
  while (releaseSlow === null && Date.now() < deadline) await Bun.sleep(10);
  expect(releaseSlow).not.toBeNull();

  gateway.writeConfig(policyGatewayConfig(upstream.url, tightened));
  await reload();

  const after = await fetch(`${gateway.url}/slow/report`, { headers: bearer(agent) });
  expect(after.status).toBe(403);
  expect(upstream.records.filter((r) => r.target === "/slow/report").length).toBe(1);

  releaseSlow!();
  const finished = await inFlight;
  expect(finished.status).toBe(200);
  expect(await finished.text()).toBe("slow");

  // Unchanged grants keep working under the new tables.
  const telemetry = await fetch(`${gateway.url}/telemetry/cpu`, { headers: bearer(agent) });
  expect(telemetry.status).toBe(200);

  await gateway.stop();
  const decided = auditRecords(gateway)
    .filter((r) => r.path === "/slow/report")
    .map((r) => [r.decision, r.ruleId, r.status]);
  expect(decided).toContainEqual(["allow", "agent-slow", 200]);
  expect(decided).toContainEqual(["deny", "agent-slow-frozen", 403]);
});

test("a policy naming an unknown route is refused on reload; the old tables serve", async () => {
  const broken = {
    ...samplePolicy,
    deny: [{ id: "typo", roles: ["agent"], routes: ["telemetri"] }],
  };
  const restarted = await startGateway(policyGatewayConfig(upstream.url));
  try {
    restarted.writeConfig(policyGatewayConfig(upstream.url, broken));
    const response = await fetch(`${restarted.adminUrl}/reload`, {
      method: "POST",
      headers: bearer(restarted.adminToken),
    });
    const body = (await response.json()) as { reloaded: boolean; problems: { path: string }[] };
    expect(body.reloaded).toBe(false);
    expect(body.problems.map((p) => p.path)).toEqual(["policy.deny[0].routes[0]"]);
    const still = await fetch(`${restarted.url}/telemetry/cpu`, { headers: bearer(agent) });
    expect(still.status).toBe(200);
  } finally {
    await restarted.stop();
  }
});

test("static analysis warnings are logged when the gateway loads the policy", async () => {
  const shadowed = {
    ...samplePolicy,
    roles: { ...samplePolicy.roles, intern: {} },
    deny: [
      ...samplePolicy.deny,
      { id: "finance-frozen", roles: ["finance"], groups: ["payments"] },
    ],
  };
  const started = await startGateway(policyGatewayConfig(upstream.url, shadowed));
  try {
    // The log is written asynchronously: wait (bounded) for the line to land.
    const findLine = () =>
      started
        .logText()
        .split("\n")
        .find((l) => l.includes("policy compiled with warnings"));
    const deadline = Date.now() + 3000;
    while (!findLine() && Date.now() < deadline) await Bun.sleep(25);
    const line = findLine();
    const warnings = (JSON.parse(line ?? "{}") as { warnings?: { message: string }[] }).warnings;
    expect(warnings?.map((w) => w.message)).toEqual(
      expect.arrayContaining([
        'rule "finance-pays" is shadowed by deny "finance-frozen": it grants nothing',
        'role "intern" is granted nowhere',
      ]),
    );
  } finally {
    await started.stop();
  }
});
