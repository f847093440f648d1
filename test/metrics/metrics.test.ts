import { describe, expect, test } from "bun:test";
import { createAuditTrail } from "../../src/audit/trail.ts";
import { createMetrics } from "../../src/metrics/metrics.ts";
import type { RequestContext } from "../../src/server/context.ts";
import { captureLogger, configWith, sampleEvent, tempDir } from "../audit/fixtures.ts";
import { parsePrometheusText, sampleValue } from "./prometheus-text.ts";

function ctx(route: string | null, upstream: string | null, upstreamError: string | null = null) {
  return {
    route: route ? { id: route } : null,
    upstreamTarget: upstream,
    upstreamError,
  } as unknown as RequestContext;
}

function disabledTrail() {
  return createAuditTrail(configWith(tempDir(), { enabled: false }), captureLogger().logger);
}

describe("metrics", () => {
  test("counts requests by route, status and decision, and upstream errors", async () => {
    const trail = disabledTrail();
    const metrics = createMetrics(trail);
    for (let i = 0; i < 7; i++) metrics.observeRequest(ctx("orders", "http://u1"), 200, 3);
    for (let i = 0; i < 2; i++) metrics.observeRequest(ctx("orders", null), 401, 1);
    metrics.observeRequest(ctx(null, null), 404, 0.2);
    metrics.observeRequest(ctx("orders", "http://u1", "refused"), 502, 5);
    metrics.observeRequest(ctx("orders", null), 503, 1, "deny");

    const samples = parsePrometheusText(await metrics.render());
    const requests = "portcullis_requests_total";
    const count = (labels: Record<string, string>) => sampleValue(samples, requests, labels);
    expect(count({ route: "orders", status: "200", decision: "allow" })).toBe(7);
    expect(count({ route: "orders", status: "401", decision: "deny" })).toBe(2);
    expect(count({ route: "none", status: "404", decision: "deny" })).toBe(1);
    expect(count({ status: "502", decision: "error" })).toBe(1);
    expect(sampleValue(samples, requests)).toBe(12);
    expect(sampleValue(samples, "portcullis_request_duration_seconds_count")).toBe(12);
    expect(
      sampleValue(samples, "portcullis_upstream_errors_total", { category: "refused" }),
    ).toBe(1);
    // A second scrape reports the same totals, not doubled ones.
    const again = parsePrometheusText(await metrics.render());
    expect(sampleValue(again, requests)).toBe(12);
  });

  test("samples check latency on one request in N", async () => {
    const trail = disabledTrail();
    const metrics = createMetrics(trail, { checkSampleEvery: 4 });
    let sampled = 0;
    for (let i = 0; i < 100; i++) {
      if (!metrics.sampleChecks()) continue;
      sampled++;
      metrics.observeCheck("jwt", 0.02);
    }
    expect(sampled).toBe(25);
    const samples = parsePrometheusText(await metrics.render());
    const name = "portcullis_check_duration_seconds_count";
    expect(sampleValue(samples, name, { check: "jwt" })).toBe(25);
  });

  test("reports the audit trail's queue, batches, records and drops", async () => {
    const config = configWith(tempDir(), {
      onError: "fail-open",
      queueCapacity: 10,
      batchRecords: 5,
      batchAgeMs: 60_000,
    });
    const trail = createAuditTrail(config, captureLogger().logger);
    const metrics = createMetrics(trail);
    for (let i = 0; i < 13; i++) trail.enqueue(sampleEvent(i));
    let samples = parsePrometheusText(await metrics.render());
    expect(sampleValue(samples, "portcullis_audit_queue_depth")).toBe(10);
    expect(sampleValue(samples, "portcullis_audit_records_dropped_total")).toBe(3);
    await trail.flush();
    samples = parsePrometheusText(await metrics.render());
    expect(sampleValue(samples, "portcullis_audit_queue_depth")).toBe(0);
    expect(sampleValue(samples, "portcullis_audit_batches_written_total")).toBe(2);
    expect(sampleValue(samples, "portcullis_audit_records_written_total")).toBe(10);
    expect(sampleValue(samples, "portcullis_audit_sink_healthy")).toBe(1);
    expect(sampleValue(samples, "portcullis_audit_bytes_written_total")).toBeGreaterThan(0);
    await trail.close();
  });
});
