import { z } from "zod";

const targetUrl = z.string().refine((value) => {
  try {
    const url = new URL(value);
    return (url.protocol === "http:" || url.protocol === "https:") && url.pathname === "/";
  } catch {
    return false;
  }
}, "must be an http(s) origin such as http://127.0.0.1:3000 (no path)");

export const upstreamSchema = z.strictObject({
  targets: z.array(targetUrl).min(1),
  /** Connecting slower than this answers 502. */
  connectTimeoutMs: z.number().int().positive().default(1_000),
  /** No response head within this time answers 504. */
  responseHeadersTimeoutMs: z.number().int().positive().default(30_000),
  /** Passive health: a target that fails this many times in a row is skipped for cooldownMs. */
  passiveHealth: z
    .strictObject({
      failures: z.number().int().positive().default(1),
      cooldownMs: z.number().int().positive().default(10_000),
    })
    .prefault({}),
  /** Most idle keep-alive connections kept per target by the pooled client. */
  maxIdleConnections: z.number().int().positive().default(256),
  /** An idle pooled connection older than this is closed, not reused; keep it below the
   *  upstream's own keep-alive timeout so the upstream never closes one we are about to use. */
  idleTimeoutMs: z.number().int().positive().default(4_000),
  /** A response head (status line and fields) larger than this answers 502. */
  maxResponseHeaderBytes: z.number().int().min(1024).default(32 * 1024),
});

export const upstreamsSchema = z.record(
  z.string().regex(/^[A-Za-z0-9][A-Za-z0-9._-]*$/, "upstream names use letters, digits, . _ -"),
  upstreamSchema,
);
