import { afterEach, describe, expect, test } from "bun:test";
import { join } from "node:path";
import { readRecords } from "../../src/audit/reader.ts";
import { parsePrometheusText, sampleValue } from "../metrics/prometheus-text.ts";
import { startGateway, type GatewayProcess } from "../support/gateway.ts";
import { startUpstream, type RecordingUpstream } from "../support/upstream.ts";

const running: Array<GatewayProcess | RecordingUpstream> = [];
afterEach(async () => {
  for (const item of running.splice(0)) {
    if ("pid" in item) await item.stop("SIGKILL");
    else item.stop();
  }
});

/** A gateway whose audit queue holds 3 records and is not flushed for a minute. */
async function gatewayWithTinyQueue(onError: string) {
  const upstream = await startUpstream();
  running.push(upstream);
  const gateway = await startGateway({
    upstreams: { u1: { targets: [upstream.url + "/"] } },
    routes: [{ id: "open", path: "/open/*", upstream: "u1", auth: { anonymous: true } }],
    audit: { onError, queueCapacity: 3, batchRecords: 1000, batchAgeMs: 60_000 },
  });
  running.push(gateway);
  return { gateway, upstream };
}

async function statuses(gateway: GatewayProcess, count: number): Promise<number[]> {
  const result: number[] = [];
  for (let i = 0; i < count; i++) {
    const response = await fetch(`${gateway.url}/open/${i}`);
    await response.arrayBuffer();
    result.push(response.status);
  }
  return result;
}

async function scrape(gateway: GatewayProcess) {
  return parsePrometheusText(await (await fetch(`${gateway.adminUrl}/metrics`)).text());
}

describe("audit failure mode through the gateway", () => {
  test("fail-closed: a full queue answers 503 audit.unavailable and forwards nothing", async () => {
    const { gateway, upstream } = await gatewayWithTinyQueue("fail-closed");
    expect(await statuses(gateway, 5)).toEqual([200, 200, 200, 503, 503]);
    expect(upstream.records.length).toBe(3);
    const refused = await fetch(`${gateway.url}/open/x`);
    expect(refused.headers.get("content-type")).toContain("application/problem+json");
    expect(((await refused.json()) as { code: string }).code).toBe("audit.unavailable");

    const samples = await scrape(gateway);
    expect(sampleValue(samples, "portcullis_audit_queue_depth")).toBe(6);
    expect(sampleValue(samples, "portcullis_audit_records_dropped_total")).toBe(0);

    // On shutdown every queued record, refusals included, reaches the disk.
    expect(await gateway.stop("SIGTERM")).toBe(0);
    const records = [...readRecords(join(gateway.dataDir, "audit"))];
    expect(records.map((r) => r.status)).toEqual([200, 200, 200, 503, 503, 503]);
  });

  test("fail-open: a full queue still serves and counts every dropped record", async () => {
    const { gateway, upstream } = await gatewayWithTinyQueue("fail-open");
    expect(await statuses(gateway, 7)).toEqual([200, 200, 200, 200, 200, 200, 200]);
    expect(upstream.records.length).toBe(7);
    const samples = await scrape(gateway);
    expect(sampleValue(samples, "portcullis_audit_records_dropped_total")).toBe(4);
    expect(sampleValue(samples, "portcullis_audit_queue_depth")).toBe(3);
    expect(await gateway.stop("SIGTERM")).toBe(0);
    expect(gateway.logText()).toContain("audit records dropped");
    expect([...readRecords(join(gateway.dataDir, "audit"))].length).toBe(3);
  });
});
