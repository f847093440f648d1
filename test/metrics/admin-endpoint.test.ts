import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { startGateway, type GatewayProcess } from "../support/gateway.ts";
import { startUpstream, type RecordingUpstream } from "../support/upstream.ts";
import { parsePrometheusText, sampleValue, type Sample } from "./prometheus-text.ts";

let upstream: RecordingUpstream;
let gateway: GatewayProcess;

beforeAll(async () => {
  upstream = await startUpstream();
  const dead = Bun.listen({ hostname: "127.0.0.1", port: 0, socket: { data() {} } });
  const deadPort = dead.port;
  dead.stop(true);
  gateway = await startGateway({
    upstreams: {
      u1: { targets: [upstream.url + "/"] },
      dead: { targets: [`http://127.0.0.1:${deadPort}/`] },
    },
    routes: [
      { id: "open", path: "/open/*", upstream: "u1", auth: { anonymous: true } },
      { id: "locked", path: "/locked", upstream: "u1" },
      { id: "dead", path: "/dead/*", upstream: "dead", auth: { anonymous: true } },
    ],
  });
});

afterAll(async () => {
  await gateway?.stop("SIGKILL");
  upstream?.stop();
});

async function send(path: string, times: number): Promise<number[]> {
  const statuses: number[] = [];
  for (let i = 0; i < times; i++) {
    const response = await fetch(`${gateway.url}${path}`);
    await response.arrayBuffer();
    statuses.push(response.status);
  }
  return statuses;
}

async function scrape(): Promise<{ text: string; samples: Sample[]; type: string }> {
  const response = await fetch(`${gateway.adminUrl}/metrics`);
  const text = await response.text();
  return { text, samples: parsePrometheusText(text), type: response.headers.get("content-type")! };
}

describe("GET /metrics on the admin listener", () => {
  test("is Prometheus text whose counters match the traffic sent", async () => {
    expect(new Set(await send("/open/a", 12))).toEqual(new Set([200]));
    expect(new Set(await send("/locked", 5))).toEqual(new Set([401]));
    expect(new Set(await send("/missing", 3))).toEqual(new Set([404]));
    expect(new Set(await send("/dead/x", 2))).toEqual(new Set([502]));

    const { samples, type } = await scrape();
    expect(type).toStartWith("text/plain");
    const requests = (labels: Record<string, string>) =>
      sampleValue(samples, "portcullis_requests_total", labels);
    expect(requests({ route: "open", status: "200", decision: "allow" })).toBe(12);
    expect(requests({ route: "locked", status: "401", decision: "deny" })).toBe(5);
    expect(requests({ route: "none", status: "404", decision: "deny" })).toBe(3);
    expect(requests({ route: "dead", status: "502" })).toBe(2);
    expect(requests({})).toBe(22);
    expect(sampleValue(samples, "portcullis_request_duration_seconds_count")).toBe(22);
    const refused = sampleValue(samples, "portcullis_upstream_errors_total", { route: "dead" });
    expect(refused).toBe(2);
    expect(upstream.records.length).toBe(12);

    // Every request's audit record is written within a batch age or so.
    const deadline = Date.now() + 3000;
    let written = 0;
    while (Date.now() < deadline) {
      written = sampleValue((await scrape()).samples, "portcullis_audit_records_written_total");
      if (written === 22) break;
      await Bun.sleep(25);
    }
    expect(written).toBe(22);
    const final = (await scrape()).samples;
    expect(sampleValue(final, "portcullis_audit_queue_depth")).toBe(0);
    expect(sampleValue(final, "portcullis_audit_sink_healthy")).toBe(1);
    expect(sampleValue(final, "portcullis_audit_batches_written_total")).toBeGreaterThan(0);
    expect(sampleValue(final, "portcullis_audit_records_dropped_total")).toBe(0);
  });
});
