import { join } from "node:path";
import { readRecords } from "../../../src/audit/reader.ts";
import type { AuditEvent } from "../../../src/audit/event.ts";
import type { GatewayProcess } from "../../support/gateway.ts";
import { generateTestKey, mint, testAudience, testIssuer } from "../../support/keys.ts";
import type { TestKey } from "../../support/keys.ts";

/**
 * The gateway-level fixture for the authorization tests: callers authenticate with JWTs from a
 * static-key issuer, so each test can mint a caller with exactly the roles and tenant it needs.
 */
export const signingKey: TestKey = generateTestKey("authz-k1");

export function tokenFor(sub: string, roles: string[], tenant?: string): string {
  return mint({ sub, roles, ...(tenant ? { tenant } : {}) }, {}, signingKey);
}

export const bearer = (token: string) => ({ authorization: `Bearer ${token}` });

const jwtAuth = { jwt: ["idp"] };

function route(id: string, path: string, methods: string[]) {
  return { id, path, methods, upstream: "u", auth: jwtAuth };
}

/** Demo-shaped routes and policy in front of one recording upstream. */
export function policyGatewayConfig(upstreamUrl: string, policy: object = samplePolicy) {
  return {
    upstreams: { u: { targets: [upstreamUrl] } },
    identity: {
      issuers: [
        {
          id: "idp",
          issuer: testIssuer,
          audience: testAudience,
          keys: [{ jwk: signingKey.publicJwk }],
          algorithms: ["RS256"],
        },
      ],
    },
    routes: [
      route("payments-charge", "/payments/charge", ["POST"]),
      route("payments-read", "/payments/*", ["GET"]),
      route("telemetry", "/telemetry/*", ["GET", "POST"]),
      {
        id: "vendor-records",
        path: "/vendors/:tenant/records/*",
        methods: ["GET"],
        upstream: "u",
        auth: jwtAuth,
        access: { roles: ["vendor"], tenant: { param: "tenant" } },
      },
      {
        id: "beta",
        path: "/beta/*",
        methods: ["GET"],
        upstream: "u",
        auth: jwtAuth,
        access: { roles: ["admin"], mode: "report" },
      },
      route("slow", "/slow/*", ["GET"]),
    ],
    policy,
  };
}

export const samplePolicy = {
  groups: { payments: ["payments-charge", "payments-read"] },
  roles: {
    agent: {
      allow: [
        { id: "agent-reads-telemetry", routes: ["telemetry"], methods: ["GET"] },
        { id: "agent-slow", routes: ["slow"] },
      ],
    },
    finance: { allow: [{ id: "finance-pays", groups: ["payments"] }] },
    admin: { allow: [{ groups: ["payments"] }] },
  },
  deny: [{ id: "agent-never-pays", roles: ["agent"], groups: ["payments"] }],
};

/** Every audit record the gateway wrote; call after `stop()` so the queue was drained. */
export function auditRecords(gateway: GatewayProcess): AuditEvent[] {
  return [...readRecords(join(gateway.dataDir, "audit"))];
}
