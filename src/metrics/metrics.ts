import { Counter, Gauge, Registry } from "prom-client";
import type { AuditTrail } from "../audit/trail.ts";
import type { RequestContext } from "../server/context.ts";
import { FastHistogram } from "./fast-histogram.ts";
import { LabelledHistogram } from "./labelled-histogram.ts";
import { RequestCounts, type CountedDecision } from "./request-counts.ts";

/** What the request path and the pipeline report; everything else is read at scrape time. */
export interface Metrics {
  readonly registry: Registry;
  /**
   * Counts one finished request. `decision` defaults to what the context shows: `error` when
   * the upstream exchange failed, `allow` when the request was forwarded, `deny` otherwise.
   */
  observeRequest(
    ctx: RequestContext,
    status: number,
    durationMs: number,
    decision?: CountedDecision,
  ): void;
  /** True for one request in `checkSampleEvery`: time its checks and call `observeCheck`. */
  sampleChecks(): boolean;
  observeCheck(checkId: string, durationMs: number): void;
  /** Prometheus text exposition (version 0.0.4). */
  render(): Promise<string>;
  readonly contentType: string;
}

export interface MetricsOptions {
  /** Time the checks of one request in this many; 1 times all. */
  readonly checkSampleEvery?: number;
}

const latencyBuckets = [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5];
const checkBuckets = [0.00001, 0.000025, 0.00005, 0.0001, 0.00025, 0.0005, 0.001, 0.005, 0.025];

/** Builds the registry. Audit figures are pulled from `audit.stats()` when scraped. */
export function createMetrics(audit: AuditTrail, options: MetricsOptions = {}): Metrics {
  const registry = new Registry();
  const counts = new RequestCounts();
  const sampleEvery = Math.max(1, Math.trunc(options.checkSampleEvery ?? 16));
  let sampleCountdown = sampleEvery;

  new Counter({
    name: "portcullis_requests_total",
    help: "Requests answered, by route, status and decision (allow, deny, error).",
    labelNames: ["route", "status", "decision"] as const,
    registers: [registry],
    collect() {
      this.reset();
      counts.forEach((route, status, decision, n) =>
        this.inc({ route, status: String(status), decision }, n),
      );
    },
  });
  const duration = new FastHistogram(
    "portcullis_request_duration_seconds",
    "Time from request arrival to response head, all routes.",
    latencyBuckets,
    registry,
  );
  const checkDuration = new LabelledHistogram(
    "portcullis_check_duration_seconds",
    `Time spent in each check, sampled on one request in ${sampleEvery}.`,
    "check",
    checkBuckets,
    registry,
  );
  const upstreamErrors = new Counter({
    name: "portcullis_upstream_errors_total",
    help: "Upstream exchanges that failed, by route and category.",
    labelNames: ["route", "category"] as const,
    registers: [registry],
  });
  registerAuditMetrics(registry, audit);

  return {
    registry,
    contentType: registry.contentType,
    observeRequest(ctx, status, durationMs, decision) {
      const route = ctx.route ? ctx.route.id : "none";
      const upstreamError = ctx.upstreamError;
      const outcome =
        decision ?? (upstreamError ? "error" : ctx.upstreamTarget !== null ? "allow" : "deny");
      counts.add(route, status, outcome);
      duration.observe(durationMs / 1000);
      if (upstreamError) upstreamErrors.inc({ route, category: upstreamError });
    },
    sampleChecks() {
      if (--sampleCountdown > 0) return false;
      sampleCountdown = sampleEvery;
      return true;
    },
    observeCheck(checkId, durationMs) {
      checkDuration.observe(checkId, durationMs / 1000);
    },
    render: () => registry.metrics(),
  };
}

function registerAuditMetrics(registry: Registry, audit: AuditTrail): void {
  type Stat = keyof ReturnType<AuditTrail["stats"]>;
  const read = (stat: Stat) => () => Number(audit.stats()[stat]);
  const counter = (name: string, help: string, value: () => number) =>
    new Counter({
      name,
      help,
      registers: [registry],
      collect() {
        this.reset();
        this.inc(value());
      },
    });
  const gauge = (name: string, help: string, value: () => number) =>
    new Gauge({
      name,
      help,
      registers: [registry],
      collect() {
        this.set(value());
      },
    });

  gauge("portcullis_audit_queue_depth", "Audit records waiting to be written.", read("queued"));
  gauge("portcullis_audit_sink_healthy", "1 while the sink writes, else 0.", read("sinkHealthy"));
  const prefix = "portcullis_audit_";
  counter(`${prefix}batches_written_total`, "Audit batches written.", read("batchesWritten"));
  counter(`${prefix}records_written_total`, "Audit records written.", read("recordsWritten"));
  counter(`${prefix}bytes_written_total`, "Bytes of audit frames written.", read("bytesWritten"));
  counter(`${prefix}records_dropped_total`, "Audit records dropped.", read("recordsDropped"));
  counter(`${prefix}write_errors_total`, "Failed audit writes.", read("writeErrors"));
}
