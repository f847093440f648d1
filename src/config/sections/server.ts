import { z } from "zod";

/** Durations and sizes carry their unit in the option name (`timeoutMs`, `maxBodyBytes`). */
const port = z.number().int().min(0).max(65535);

export const listenSchema = z.strictObject({
  host: z.string().default("127.0.0.1"),
  port: port.default(8080),
  /** Largest request body accepted; larger ones get 413 before any byte goes upstream. */
  maxBodyBytes: z.number().int().positive().default(10 * 1024 * 1024),
  /** Bun closes a connection idle this long (1–255 s; Bun's own bound). */
  idleTimeoutSec: z.number().int().min(1).max(255).default(60),
  /** Request headers beyond this count are refused with 431. */
  maxHeaderCount: z.number().int().positive().default(100),
});

export const adminSchema = z.strictObject({
  host: z.string().default("127.0.0.1"),
  port: port.default(9901),
  /** Bearer token required by mutating admin endpoints; use `${ENV_VAR}`. */
  token: z.string().min(16).optional(),
});

export const pathRulesSchema = z.strictObject({
  /** Collapse `//` to `/` before routing (on) or refuse such paths with 400 (off). */
  mergeSlashes: z.boolean().default(true),
  /** Match route paths case-sensitively; protected prefixes are checked case-insensitively. */
  caseSensitive: z.boolean().default(true),
  /**
   * Keep a raw `;` in a path as ordinary text (on) or refuse the path with 400 (off). Routes
   * then must not rely on the upstream stripping `;params`, as servlet containers do.
   */
  allowSemicolons: z.boolean().default(false),
  /**
   * Accept a segment that ends in `.` or starts or ends with a space (on), or refuse it with
   * 400 (off): Windows and IIS upstreams drop trailing dots and spaces.
   */
  allowSegmentPadding: z.boolean().default(false),
});

export const shutdownSchema = z.strictObject({
  /** How long in-flight requests may run after SIGTERM before the process exits anyway. */
  graceMs: z.number().int().min(0).default(10_000),
});

export const logSchema = z.strictObject({
  level: z.enum(["fatal", "error", "warn", "info", "debug", "trace", "silent"]).default("info"),
  /** Operational and access log destination; stdout when absent. */
  file: z.string().optional(),
  /** Write one access record per request. */
  access: z.boolean().default(true),
  /**
   * Lines are written in batches of this many bytes (and at least every 100 ms); 0 writes each
   * line at once. One write per access record cost about 110 µs of CPU per request.
   */
  bufferBytes: z.number().int().min(0).max(1024 * 1024).default(8 * 1024),
});
