import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { startGateway, type GatewayProcess } from "../support/gateway.ts";
import { startUpstream, type RecordingUpstream } from "../support/upstream.ts";
import { consumerWithKey } from "../identity/fixtures.ts";

let u1: RecordingUpstream;
let gw: GatewayProcess;
let key: string;

beforeAll(async () => {
  u1 = await startUpstream();
  gw = await startGateway({
    log: { level: "warn" },
    upstreams: { u1: { targets: [u1.url] } },
    routes: [
      {
        id: "items",
        path: "/v1/items",
        methods: ["GET"],
        upstream: "u1",
        auth: { apiKey: true },
        access: { authenticated: true },
      },
    ],
  });
  ({ key } = await consumerWithKey(gw, { id: "alice", roles: ["user"] }));
});

afterAll(async () => {
  await gw?.stop();
  u1?.stop();
});

/** Mann-Whitney U with the normal approximation; returns a two-sided p-value. */
function mannWhitney(a: number[], b: number[]): number {
  const all = [...a.map((v) => [v, 0] as const), ...b.map((v) => [v, 1] as const)].sort(
    (x, y) => x[0] - y[0],
  );
  let rankA = 0;
  for (let i = 0; i < all.length;) {
    let j = i;
    while (j < all.length && all[j]![0] === all[i]![0]) j++;
    const rank = (i + j + 1) / 2;
    for (let k = i; k < j; k++) if (all[k]![1] === 0) rankA += rank;
    i = j;
  }
  const u = rankA - (a.length * (a.length + 1)) / 2;
  const mean = (a.length * b.length) / 2;
  const sd = Math.sqrt((a.length * b.length * (a.length + b.length + 1)) / 12);
  const z = Math.abs((u - mean) / sd);
  return 2 * (1 - normalCdf(z));
}

function normalCdf(z: number): number {
  const t = 1 / (1 + 0.2316419 * z);
  const d = 0.3989423 * Math.exp((-z * z) / 2);
  return (
    1 - d * t * (0.3193815 + t * (-0.3565638 + t * (1.781478 + t * (-1.821256 + t * 1.330274))))
  );
}

const median = (v: number[]) => [...v].sort((a, b) => a - b)[Math.floor(v.length / 2)]!;

// Soft part of C018: measured and printed, never failed (no timed assertions in tests).
describe("C018 comparison timing (reported, not asserted)", () => {
  test("C018 reports latency of last-character vs first-character changes", async () => {
    const last = key.slice(0, -1) + (key.at(-1) === "a" ? "b" : "a");
    const first = (key[0] === "a" ? "b" : "a") + key.slice(1);
    const time = async (value: string) => {
      const started = performance.now();
      const response = await fetch(`${gw.url}/v1/items`, { headers: { "x-api-key": value } });
      await response.arrayBuffer();
      expect(response.status).toBe(401);
      return performance.now() - started;
    };
    for (let i = 0; i < 300; i++) await time(i % 2 ? last : first);
    const samples: Record<string, number[]> = { last: [], first: [] };
    const order = Array.from({ length: 2000 }, (_, i) => (i % 2 ? "last" : "first")).sort(
      () => Math.random() - 0.5,
    );
    for (const which of order) samples[which]!.push(await time(which === "last" ? last : first));

    const difference = Math.abs(median(samples.last!) - median(samples.first!));
    const p = mannWhitney(samples.last!, samples.first!);
    const flagged = difference > 0.02 * median(samples.first!) || p < 0.01;
    console.log(
      `C018 timing: median last ${median(samples.last!).toFixed(3)} ms, first ` +
        `${median(samples.first!).toFixed(3)} ms, |diff| ${difference.toFixed(4)} ms, ` +
        `Mann-Whitney p=${p.toFixed(3)}${flagged ? " (FLAGGED)" : ""}`,
    );
    expect(u1.records.length).toBe(0);
  }, 60_000);
});
