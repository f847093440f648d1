import { expect } from "bun:test";
import { startGateway, type GatewayProcess } from "../support/gateway.ts";
import { generateTestKey, mint, testAudience, testIssuer, type TestKey } from "../support/keys.ts";
import { sendRaw, type RawResponse } from "../support/raw-http.ts";
import { startUpstream, type RecordingUpstream } from "../support/upstream.ts";

/**
 * The setting shared by the path-normalisation cases (C001-C009): a real gateway process, two
 * recording upstreams, and a JWT issuer whose keys are in the config. Requests go out on raw
 * sockets so the request-target reaches the gateway exactly as written in the case.
 */
export interface PathCase {
  readonly gateway: GatewayProcess;
  readonly u1: RecordingUpstream;
  readonly u2: RecordingUpstream;
  /** Sends `GET target` verbatim (Host gw.test), with extra header lines if given. */
  get(target: string, headers?: Record<string, string>): Promise<Sent>;
  /** A bearer token with the case's default claims plus these. */
  token(claims: Record<string, unknown>): string;
  close(): Promise<void>;
}

/** What the client got and what each upstream recorded for that one request. */
export interface Sent {
  readonly response: RawResponse;
  readonly status: number;
  /** Request-targets U1 and U2 received while this request ran. */
  readonly u1Targets: string[];
  readonly u2Targets: string[];
}

let sharedKey: TestKey | null = null;

/**
 * Starts the gateway with the given routes (upstream names `u1`, `u2`) and policy section.
 * Routes say `auth: jwt` to require a token from the test issuer.
 */
export async function startPathCase(
  routes: Record<string, unknown>[],
  extra: Record<string, unknown> = {},
): Promise<PathCase> {
  sharedKey ??= generateTestKey("k1");
  const key = sharedKey;
  const u1 = await startUpstream();
  const u2 = await startUpstream();
  const gateway = await startGateway({
    upstreams: { u1: { targets: [u1.url] }, u2: { targets: [u2.url] } },
    routes,
    identity: {
      issuers: [
        { id: "idp", issuer: testIssuer, audience: testAudience, keys: [{ jwk: key.publicJwk }] },
      ],
    },
    ...extra,
  }).catch((error) => {
    u1.stop();
    u2.stop();
    throw error;
  });

  async function get(target: string, headers: Record<string, string> = {}): Promise<Sent> {
    const before1 = u1.records.length;
    const before2 = u2.records.length;
    const lines = Object.entries(headers).map(([name, value]) => `${name}: ${value}\r\n`);
    const request = `GET ${target} HTTP/1.1\r\nHost: gw.test\r\n${lines.join("")}` +
      "Connection: close\r\n\r\n";
    const response = await sendRaw(gateway.port, request, { readMs: 5_000 });
    return {
      response,
      status: response.status,
      u1Targets: u1.records.slice(before1).map((r) => r.target),
      u2Targets: u2.records.slice(before2).map((r) => r.target),
    };
  }

  return {
    gateway,
    u1,
    u2,
    get,
    token: (claims) => mint({ sub: "someone", ...claims }, {}, key),
    async close() {
      try {
        await expectSurvived(gateway);
      } finally {
        await gateway.stop();
        u1.stop();
        u2.stop();
      }
    },
  };
}

/** Route auth for "JWT required" in the cases, with the roles that may pass. */
export function jwtRoute(roles: string[]) {
  return { auth: { jwt: ["idp"] }, access: { roles } };
}

/** Route auth for anonymous public routes. */
export const anonymous = { auth: { anonymous: true } };

/** The gateway refused on its own: one of the allowed statuses, problem+json, nothing upstream. */
export function expectRefused(sent: Sent, statuses: number[], label: string): void {
  expect({ label, status: statuses.includes(sent.status) ? "ok" : sent.status }).toEqual({
    label,
    status: "ok",
  });
  expect({ label, type: headerOf(sent.response, "content-type") }).toEqual({
    label,
    type: "application/problem+json",
  });
  expect({ label, u1: sent.u1Targets, u2: sent.u2Targets }).toEqual({ label, u1: [], u2: [] });
}

/** The layout C003, C004 and C005 share: a protected prefix beside a public catch-all. */
export const adminBesidePublic: Record<string, unknown>[] = [
  { id: "R-adm", path: "/admin/*", upstream: "u1", ...jwtRoute(["admin"]) },
  { id: "R-pub", path: "/*", upstream: "u1", ...anonymous },
  {
    id: "R-files",
    path: "/files/*",
    methods: ["GET"],
    upstream: "u2",
    allowEncoded: ["slash"],
    ...anonymous,
  },
];

/** UA1 and UA2: the gateway still answers its health check and printed no stack trace. */
async function expectSurvived(gateway: GatewayProcess): Promise<void> {
  const health = await fetch(`${gateway.adminUrl}/healthz`);
  expect(health.status).toBe(200);
  expect(gateway.output()).not.toMatch(/\n\s+at .+:\d+:\d+/);
}

export function headerOf(response: RawResponse, name: string): string | undefined {
  return response.headers.find(([n]) => n === name)?.[1];
}
