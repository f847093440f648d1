import { expect } from "bun:test";
import { join } from "node:path";
import { readRecords } from "../../src/audit/reader.ts";
import type { AuditEvent } from "../../src/audit/event.ts";
import type { GatewayConfig } from "../../src/config/schema.ts";
import { explainRequest } from "../../src/policy/explain.ts";
import { loadGatewayConfig } from "../../src/server/load-config.ts";
import type { PathCase, Sent } from "./path-support.ts";

/** A caller in the path cases: the claims of its token, or null for no credential. */
export interface Caller {
  readonly name: string;
  readonly claims: { sub: string; roles: string[]; tenant?: string } | null;
}

/**
 * Sends one raw GET as `caller` and checks that `policy explain` predicts the same answer from
 * the same config: routing, the policy and the upstream all see one canonical path, and explain
 * walks that same path.
 */
export async function sendAs(setup: PathCase, caller: Caller, target: string): Promise<Sent> {
  const headers = caller.claims
    ? { Authorization: `Bearer ${setup.token(caller.claims)}` }
    : undefined;
  const sent = await setup.get(target, headers);
  const predicted = explainRequest(configOf(setup), {
    method: "GET",
    target,
    host: "gw.test",
    caller: caller.claims && {
      name: caller.claims.sub,
      roles: caller.claims.roles,
      scopes: [],
      tenant: caller.claims.tenant ?? null,
    },
  });
  expect({ caller: caller.name, target, status: sent.status }).toEqual({
    caller: caller.name,
    target,
    status: predicted.status,
  });
  return sent;
}

const configs = new WeakMap<PathCase, GatewayConfig>();

function configOf(setup: PathCase): GatewayConfig {
  let config = configs.get(setup);
  if (!config) {
    config = loadGatewayConfig(setup.gateway.configPath).config;
    configs.set(setup, config);
  }
  return config;
}

/** Denied by the gateway: 403 or another refusal from `statuses`, and nothing upstream. */
export function expectNotForwarded(sent: Sent, statuses: number[], label: string): void {
  expect({ label, status: statuses.includes(sent.status) ? "ok" : sent.status }).toEqual({
    label,
    status: "ok",
  });
  expect({ label, u1: sent.u1Targets, u2: sent.u2Targets }).toEqual({ label, u1: [], u2: [] });
}

/** The audit record of one request, read from the live trail once its batch is written. */
export async function auditRecordOf(setup: PathCase, sent: Sent): Promise<AuditEvent> {
  const requestId = sent.response.headers.find(([n]) => n === "x-request-id")?.[1];
  expect(requestId).toBeDefined();
  const dir = join(setup.gateway.dataDir, "audit");
  const deadline = Date.now() + 3_000;
  for (;;) {
    const found = [...readRecords(dir)].find((r) => r.requestId === requestId);
    if (found) return found;
    if (Date.now() > deadline) throw new Error(`no audit record for ${requestId}`);
    await Bun.sleep(25);
  }
}
