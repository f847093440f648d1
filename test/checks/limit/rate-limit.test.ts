import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { startGateway, type GatewayProcess } from "../../support/gateway.ts";
import { startUpstream, type RecordingUpstream } from "../../support/upstream.ts";

/** The limit checks as a client sees them, through real gateway processes. */
let upstream: RecordingUpstream;
let routeLimits: GatewayProcess;
let globalLimits: GatewayProcess;

const anonymous = (id: string, path: string, limits?: unknown[]) => ({
  id,
  path,
  upstream: "u1",
  auth: { anonymous: true },
  ...(limits ? { limits } : {}),
});

beforeAll(async () => {
  upstream = await startUpstream();
  const upstreams = { u1: { targets: [upstream.url] } };
  [routeLimits, globalLimits] = await Promise.all([
    startGateway({
      upstreams,
      rateLimits: { legacyHeaders: true },
      routes: [
        anonymous("report", "/report", [
          { id: "shadow", key: "route", rate: 2, per: "60s", mode: "report" },
        ]),
        anonymous("costly", "/costly", [
          { id: "points", key: "client-address", rate: 10, per: "60s", cost: 4 },
        ]),
        anonymous("legacy", "/legacy", [{ id: "slow", key: "route", ratePerSec: 0.5, burst: 2 }]),
        anonymous("open", "/open"),
      ],
    }),
    startGateway({
      upstreams,
      routes: [
        anonymous("one", "/one"),
        anonymous("two", "/two"),
        { id: "login", path: "/login", upstream: "u1", auth: { apiKey: true } },
      ],
      rateLimits: {
        limits: [
          { id: "site-wide", key: "global", rate: 6, per: "60s", stage: "pre-auth" },
          { id: "per-route", key: "route", rate: 2, per: "60s" },
        ],
      },
    }),
  ]);
});

afterAll(async () => {
  await Promise.all([routeLimits?.stop(), globalLimits?.stop()]);
  upstream?.stop();
});

async function get(gw: GatewayProcess, path: string, headers: Record<string, string> = {}) {
  const response = await fetch(gw.url + path, { headers });
  const body = await response.text();
  return { status: response.status, headers: response.headers, body };
}

async function statuses(gw: GatewayProcess, path: string, count: number) {
  const out: number[] = [];
  for (let i = 0; i < count; i++) out.push((await get(gw, path)).status);
  return out;
}

describe("rate-limit checks through the gateway", () => {
  test("mode report never refuses: requests past the limit reach the upstream", async () => {
    const before = upstream.records.length;
    expect(await statuses(routeLimits, "/report", 4)).toEqual([200, 200, 200, 200]);
    expect(upstream.records.length - before).toBe(4);
  });

  test("a request spends `cost` tokens: 10 per minute at cost 4 admits two", async () => {
    expect(await statuses(routeLimits, "/costly", 3)).toEqual([200, 200, 429]);
  });

  test("legacy X-RateLimit-* headers accompany the structured ones when enabled", async () => {
    const allowed = await get(routeLimits, "/legacy");
    expect(allowed.status).toBe(200);
    // 0.5 tokens/s, burst 2: advertised as 2 per 4 s; one spent, 1 left, full again in 2 s.
    expect(allowed.headers.get("ratelimit-policy")).toBe('"slow";q=2;w=4');
    expect(allowed.headers.get("ratelimit")).toBe('"slow";r=1;t=2');
    expect(allowed.headers.get("x-ratelimit-limit")).toBe("2");
    expect(allowed.headers.get("x-ratelimit-remaining")).toBe("1");
    await get(routeLimits, "/legacy");
    const refused = await get(routeLimits, "/legacy");
    expect(refused.status).toBe(429);
    expect(refused.headers.get("x-ratelimit-remaining")).toBe("0");
    expect(refused.headers.get("retry-after")).toBe("2");
    expect(JSON.parse(refused.body)).toMatchObject({ code: "limit.exceeded", status: 429 });
  });

  test("routes without limits carry no RateLimit headers", async () => {
    const open = await get(routeLimits, "/open");
    expect(open.status).toBe(200);
    expect(open.headers.get("ratelimit")).toBeNull();
  });

  test("a global limit by route counts each route; by global, all routes together", async () => {
    expect(await statuses(globalLimits, "/one", 3)).toEqual([200, 200, 429]);
    expect(await statuses(globalLimits, "/two", 3)).toEqual([200, 200, 429]);
    // Six requests so far spent the site-wide bucket (refused ones spent none of per-route).
    const next = await get(globalLimits, "/two");
    expect(next.status).toBe(429);
    expect(next.headers.get("ratelimit-policy")).toBe('"site-wide";q=6;w=60');
  });

  test("a pre-auth limit runs before authentication: a bad key gets 429, not 401", async () => {
    const login = await get(globalLimits, "/login", { "x-api-key": "pk_live_not_a_key" });
    expect(login.status).toBe(429);
  });
});
