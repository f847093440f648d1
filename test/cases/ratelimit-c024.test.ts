import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { startGateway, type GatewayProcess } from "../support/gateway.ts";
import { startUpstream, type RecordingUpstream } from "../support/upstream.ts";
import { createApiKey } from "./ratelimit-support.ts";

/**
 * C024: no double burst across window boundaries. A token bucket per consumer (capacity 10,
 * refill 10 per 60 s) decides from a monotonic clock, so a wall-clock minute boundary between
 * two bursts gives the second burst nothing. The test waits for hh:mm:59.5 on the wall clock,
 * which costs up to a minute; that wait is the case.
 */
let upstream: RecordingUpstream;
let gw: GatewayProcess;
let key: string;

beforeAll(async () => {
  upstream = await startUpstream();
  gw = await startGateway({
    upstreams: { u1: { targets: [upstream.url] } },
    routes: [
      {
        id: "r-w",
        path: "/w",
        methods: ["GET"],
        upstream: "u1",
        auth: { apiKey: true },
        access: { authenticated: true },
        limits: [{ id: "per-consumer", key: "consumer", rate: 10, per: "60s", burst: 10 }],
      },
    ],
    identity: { consumers: [{ id: "alice" }] },
  });
  key = await createApiKey(gw, "alice");
});

afterAll(async () => {
  await gw?.stop();
  upstream?.stop();
});

async function burst(count: number): Promise<{ status: number; at: number }[]> {
  return Promise.all(
    Array.from({ length: count }, async () => {
      const response = await fetch(`${gw.url}/w`, { headers: { "x-api-key": key } });
      await response.arrayBuffer();
      return { status: response.status, at: performance.now() };
    }),
  );
}

/** Sleeps until the wall clock's millisecond-of-minute reaches `msOfMinute`. */
async function untilWallClock(msOfMinute: number): Promise<void> {
  const now = Date.now();
  let wait = msOfMinute - (now % 60_000);
  if (wait < 0) wait += 60_000;
  await Bun.sleep(wait);
}

describe("C024 no double burst across window boundaries", () => {
  test(
    "C024 ten requests at hh:mm:59.5 and ten at hh:(mm+1):00.3 admit at most eleven",
    async () => {
      await untilWallClock(59_500);
      const first = await burst(10);
      await untilWallClock(300);
      const second = await burst(10);

      expect(first.map((r) => r.status)).toEqual(Array(10).fill(200));
      expect(second.filter((r) => r.status === 200).length).toBeLessThanOrEqual(1);
      expect(second.filter((r) => r.status !== 200).every((r) => r.status === 429)).toBe(true);

      // Invariant over the run: in any 1 s, at most capacity + rate·1 s + 1 = 11 successes.
      const admitted = [...first, ...second].filter((r) => r.status === 200).map((r) => r.at);
      for (const start of admitted) {
        expect(admitted.filter((t) => t >= start && t < start + 1_000).length).toBeLessThanOrEqual(
          11,
        );
      }
    },
    { timeout: 90_000 },
  );
});
