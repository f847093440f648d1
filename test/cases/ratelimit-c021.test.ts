import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { startGateway, type GatewayProcess } from "../support/gateway.ts";
import { sendRaw } from "../support/raw-http.ts";
import { startUpstream, type RecordingUpstream } from "../support/upstream.ts";

/**
 * C021: spoofed forwarding headers must not mint new buckets. The limit is keyed by client
 * address; only a trusted proxy's X-Forwarded-For is believed, right-most untrusted entry first.
 */
let upstream: RecordingUpstream;
const gateways: GatewayProcess[] = [];

beforeAll(async () => {
  upstream = await startUpstream();
});

afterAll(async () => {
  await Promise.all(gateways.map((g) => g.stop()));
  upstream.stop();
});

async function gateway(trustedProxies: string[]) {
  const gw = await startGateway({
    trustedProxies,
    upstreams: { u1: { targets: [upstream.url] } },
    routes: [
      {
        id: "login",
        path: "/public/login",
        methods: ["POST"],
        upstream: "u1",
        auth: { anonymous: true },
        limits: [{ id: "login-per-ip", key: "client-address", rate: 5, per: "60s" }],
      },
    ],
  });
  gateways.push(gw);
  return gw;
}

function login(gw: GatewayProcess, from: string, headers: Record<string, string>) {
  const lines = Object.entries(headers).map(([name, value]) => `${name}: ${value}\r\n`);
  const request =
    "POST /public/login HTTP/1.1\r\nHost: gw.test\r\nContent-Length: 0\r\nConnection: close\r\n" +
    lines.join("") +
    "\r\n";
  return sendRaw(gw.port, request, { localAddress: from, readMs: 3_000 });
}

const header = (response: { headers: ReadonlyArray<readonly [string, string]> }, name: string) =>
  response.headers.find(([n]) => n === name)?.[1];

async function liveKeys(gw: GatewayProcess): Promise<number> {
  const counters = (await (await fetch(`${gw.adminUrl}/cluster/counters`)).json()) as {
    limiter: { liveKeys: number };
  };
  return counters.limiter.liveKeys;
}

describe("C021 spoofed forwarding headers must not mint new buckets", () => {
  test("C021 run A: no trusted proxy, rotating forwarding headers share one bucket", async () => {
    const gw = await gateway([]);
    const before = upstream.records.length;
    expect(await liveKeys(gw)).toBe(0);
    const statuses: number[] = [];
    for (let n = 1; n <= 10; n++) {
      const response = await login(gw, "127.0.0.1", {
        "X-Forwarded-For": `198.51.100.${n}`,
        "X-Real-IP": `198.51.100.${n}`,
        Forwarded: `for=198.51.100.${n}`,
        "True-Client-IP": `198.51.100.${n}`,
        "CF-Connecting-IP": `198.51.100.${n}`,
      });
      statuses.push(response.status);
      if (n === 6) {
        expect(header(response, "retry-after")).toMatch(/^[1-9]\d*$/);
        expect(header(response, "content-type")).toBe("application/problem+json");
        expect(header(response, "ratelimit-policy")).toBe('"login-per-ip";q=5;w=60');
        expect(header(response, "ratelimit")).toMatch(/^"login-per-ip";r=0;t=\d+$/);
        expect(JSON.parse(response.body)).toMatchObject({ status: 429, code: "limit.exceeded" });
      }
    }
    expect(statuses).toEqual([200, 200, 200, 200, 200, 429, 429, 429, 429, 429]);
    expect(upstream.records.length - before).toBe(5);
    expect(await liveKeys(gw)).toBe(1);
  });

  test("C021 run B: via trusted 127.0.0.2 the right-most untrusted XFF entry is key", async () => {
    const gw = await gateway(["127.0.0.2"]);
    const before = upstream.records.length;

    const step2: number[] = [];
    for (let n = 1; n <= 10; n++) {
      const xff = `198.51.100.${n}, 203.0.113.7`;
      step2.push((await login(gw, "127.0.0.2", { "X-Forwarded-For": xff })).status);
    }
    expect(step2).toEqual([200, 200, 200, 200, 200, 429, 429, 429, 429, 429]);

    const step3 = await login(gw, "127.0.0.2", { "X-Forwarded-For": "203.0.113.8" });
    expect(step3.status).toBe(200);

    const step4: number[] = [];
    for (let n = 1; n <= 5; n++) {
      step4.push((await login(gw, "127.0.0.1", { "X-Forwarded-For": "203.0.113.7" })).status);
    }
    expect(step4).toEqual([200, 200, 200, 200, 200]);
    expect(upstream.records.length - before).toBe(11);
    // 203.0.113.7, 203.0.113.8 and the untrusted peer 127.0.0.1: three buckets, not thirteen.
    expect(await liveKeys(gw)).toBe(3);
  });
});
