import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { startGateway, type GatewayProcess } from "../support/gateway.ts";
import { startUpstream, type RecordingUpstream } from "../support/upstream.ts";
import { createApiKey } from "./ratelimit-support.ts";

/**
 * C022: route limits and consumer limits are separate counters. Two routes with identical
 * limit settings never share a bucket; a consumer-wide limit spans routes; one consumer's use
 * never counts against another's.
 */
let upstream: RecordingUpstream;
let gw: GatewayProcess;
let keys: Record<"alice" | "bob", string>;

beforeAll(async () => {
  upstream = await startUpstream();
  const perConsumer = [{ id: "per-consumer", key: "consumer", rate: 3, per: "60s" }];
  gw = await startGateway({
    upstreams: { u1: { targets: [upstream.url] } },
    routes: [
      {
        id: "r-a",
        path: "/a",
        methods: ["GET"],
        upstream: "u1",
        auth: { apiKey: true },
        access: { authenticated: true },
        limits: perConsumer,
      },
      {
        id: "r-b",
        path: "/b",
        methods: ["GET"],
        upstream: "u1",
        auth: { apiKey: true },
        access: { authenticated: true },
        limits: perConsumer,
      },
    ],
    identity: { consumers: [{ id: "alice" }, { id: "bob" }] },
    rateLimits: { consumers: { alice: [{ id: "alice-total", rate: 5, per: "60s" }] } },
  });
  keys = { alice: await createApiKey(gw, "alice"), bob: await createApiKey(gw, "bob") };
});

afterAll(async () => {
  await gw?.stop();
  upstream?.stop();
});

async function call(path: string, who: "alice" | "bob") {
  const response = await fetch(gw.url + path, { headers: { "x-api-key": keys[who] } });
  await response.arrayBuffer();
  return {
    status: response.status,
    rateLimit: response.headers.get("ratelimit"),
    policy: response.headers.get("ratelimit-policy"),
  };
}

describe("C022 route limits and consumer limits are separate counters", () => {
  test("C022 alice and bob across two routes with identical per-consumer limits", async () => {
    const before = upstream.records.length;
    const aliceA = [
      await call("/a", "alice"),
      await call("/a", "alice"),
      await call("/a", "alice"),
    ];
    expect(aliceA.map((r) => r.status)).toEqual([200, 200, 200]);
    expect((await call("/a", "alice")).status).toBe(429);

    const aliceB = [await call("/b", "alice"), await call("/b", "alice")];
    expect(aliceB.map((r) => r.status)).toEqual([200, 200]);
    const third = await call("/b", "alice");
    expect(third.status).toBe(429);
    expect(third.rateLimit).toMatch(/^"alice-total";r=0;t=\d+$/);

    const bobA = [await call("/a", "bob"), await call("/a", "bob"), await call("/a", "bob")];
    expect(bobA.map((r) => r.status)).toEqual([200, 200, 200]);
    expect(upstream.records.length - before).toBe(8);

    // Every 200 advertises the tighter of the limits that applied to it.
    expect(aliceA.map((r) => r.rateLimit?.replace(/;t=\d+$/, ""))).toEqual([
      '"per-consumer";r=2',
      '"per-consumer";r=1',
      '"per-consumer";r=0',
    ]);
    expect(aliceB.map((r) => r.rateLimit?.replace(/;t=\d+$/, ""))).toEqual([
      '"alice-total";r=1',
      '"alice-total";r=0',
    ]);
    expect(aliceB[0]!.policy).toBe('"alice-total";q=5;w=60');
    expect(bobA[2]!.rateLimit?.replace(/;t=\d+$/, "")).toBe('"per-consumer";r=0');
  });
});
