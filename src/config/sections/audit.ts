import { z } from "zod";
import { defaultCredentialParams } from "../../log/redact-query.ts";

/** How long segments and their records are kept; both bounds apply when both are set. */
const retentionSchema = z.strictObject({
  /** Keep at most this many segment files (the one being written included). */
  maxSegments: z.number().int().min(1).optional(),
  /** Delete closed segments whose last write is older than this. */
  maxAgeMs: z.number().int().positive().optional(),
});

/**
 * The audit trail: one record per request decision, batched into hash-chained frames in
 * append-only segment files. Owned by the audit subsystem (src/audit/).
 */
export const auditSchema = z
  .strictObject({
    enabled: z.boolean().default(true),
    /** Segment directory; `<dataDir>/audit` when absent. One gateway process per directory. */
    dir: z.string().min(1).optional(),
    /** A batch is written once it holds this many records… */
    batchRecords: z.number().int().min(1).max(100_000).default(1000),
    /** …or once its oldest record has waited this long. */
    batchAgeMs: z.number().int().min(1).max(60_000).default(50),
    /** Records waiting to be written, at most. What happens when full depends on `onError`. */
    queueCapacity: z.number().int().min(1).max(10_000_000).default(100_000),
    /**
     * `fail-closed`: a request that cannot be recorded (queue full, sink failing) is answered
     * 503 `audit.unavailable` before it is forwarded; denials are still denied. `fail-open`:
     * serve anyway, count every dropped record and warn.
     */
    onError: z.enum(["fail-closed", "fail-open"]).default("fail-closed"),
    /** fsync each batch before it counts as written (survives power loss; costs latency). */
    fsync: z.boolean().default(false),
    /** Start a new segment once the current one reaches this size… */
    segmentMaxBytes: z
      .number()
      .int()
      .min(64 * 1024)
      .default(64 * 1024 * 1024),
    /** …or this age. */
    segmentMaxAgeMs: z.number().int().min(1000).default(3_600_000),
    retention: retentionSchema.prefault({}),
    /**
     * Key for an HMAC-SHA-256 over each batch hash; set it from the environment
     * (`hmacKey: ${AUDIT_HMAC_KEY}`). Without a key the chain detects edits, removal,
     * reordering and truncation, but anyone with write access could rebuild it.
     */
    hmacKey: z.string().min(32, "use at least 32 characters").optional(),
    /** Query parameters whose values are replaced in recorded paths. */
    redactQueryParams: z.array(z.string().min(1)).default([...defaultCredentialParams]),
  })
  .prefault({});

export type AuditConfig = z.infer<typeof auditSchema>;
