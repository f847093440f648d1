import { join, resolve } from "node:path";
import { workerInfo } from "../cluster/workers.ts";
import type { GatewayConfig } from "../config/schema.ts";
import type { Logger } from "../log/logger.ts";
import type { RequestContext } from "../server/context.ts";
import { BatchedAuditTrail } from "./batched-trail.ts";
import type { AuditEvent, AuditOutcome } from "./event.ts";

/** Counters for metrics and tests; read at scrape time, never per request. */
export interface AuditStats {
  readonly queued: number;
  readonly batchesWritten: number;
  readonly recordsWritten: number;
  readonly bytesWritten: number;
  readonly recordsDropped: number;
  readonly writeErrors: number;
  readonly sinkHealthy: boolean;
}

/** The audit trail as the request path and the rest of the gateway see it. */
export interface AuditTrail {
  /**
   * Whether a request may be forwarded. False only in `fail-closed` mode while the queue is
   * full or the sink is failing; the request path then answers 503 `audit.unavailable`.
   */
  admit(): boolean;
  /** Enqueues the request's record. No encoding and no I/O happen here. */
  record(ctx: RequestContext, outcome: AuditOutcome): void;
  /** Enqueues a prepared record (benches, embedders). */
  enqueue(event: AuditEvent): void;
  stats(): AuditStats;
  /** Writes everything queued so far; resolves when it is written or the sink failed. */
  flush(): Promise<void>;
  /** Drains the queue, closes the files; later records are dropped and counted. */
  close(): Promise<void>;
  /** Segment directory, null when auditing is disabled. */
  readonly dir: string | null;
}

/**
 * Where the trail's segments live: `audit.dir`, else `<dataDir>/audit`. Each worker process of
 * `serve --workers N` keeps its own chain in `worker-<index>` below it (see chains.ts).
 */
export function auditDirectory(config: GatewayConfig): string {
  return resolve(config.audit.dir ?? resolve(config.dataDir, "audit"));
}

/** This process's chain directory and node id (`<nodeId>-w<index>` for a worker). */
export function processChain(config: GatewayConfig): { dir: string; node: string } {
  const worker = workerInfo();
  const base = auditDirectory(config);
  if (!worker) return { dir: base, node: config.nodeId };
  return { dir: join(base, `worker-${worker.index}`), node: `${config.nodeId}-w${worker.index}` };
}

/**
 * Creates the trail: recovers the chain on disk and opens the segment to write. Throws
 * `AuditStartError` when the directory cannot be used: a gateway that cannot audit does not
 * start (it would have to refuse every request in `fail-closed` mode anyway).
 */
export function createAuditTrail(config: GatewayConfig, logger: Logger): AuditTrail {
  if (!config.audit.enabled) return disabledTrail;
  const { dir, node } = processChain(config);
  try {
    return new BatchedAuditTrail(config.audit, dir, node, logger);
  } catch (error) {
    const reason = (error as NodeJS.ErrnoException).code ?? (error as Error).message;
    throw new AuditStartError(`audit trail cannot use ${dir} (${reason})`);
  }
}

/** The audit directory is unusable at start (not writable, locked by another process). */
export class AuditStartError extends Error {
  override readonly name = "AuditStartError";
}

const disabledTrail: AuditTrail = {
  admit: () => true,
  record: () => {},
  enqueue: () => {},
  stats: () => ({
    queued: 0,
    batchesWritten: 0,
    recordsWritten: 0,
    bytesWritten: 0,
    recordsDropped: 0,
    writeErrors: 0,
    sinkHealthy: true,
  }),
  flush: async () => {},
  close: async () => {},
  dir: null,
};
