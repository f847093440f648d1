import { z } from "zod";
import { parseDurationMs } from "../../limit/duration.ts";

const limitId = z
  .string()
  .regex(/^[A-Za-z0-9][A-Za-z0-9._-]*$/, "limit ids use letters, digits, . _ -");

/** What a limit counts per: one bucket per consumer, per credential, per client address, ... */
export const limitKeyKind = z.enum([
  "consumer",
  "credential",
  "tenant",
  "route",
  "client-address",
  "global",
]);

const rateFields = {
  id: limitId,
  /** Requests (cost units) allowed per `per`; or give `ratePerSec` instead. */
  rate: z.number().int().positive().optional(),
  /** The window of `rate`, e.g. `1s`, `60s`, `1m`, `1h`. Default `1s`. */
  per: z
    .string()
    .refine((t) => parseDurationMs(t) !== null, "use a duration such as 1s, 60s, 1m, 1h")
    .optional(),
  /** Refill rate in tokens per second (alternative to rate + per). */
  ratePerSec: z.number().positive().optional(),
  /** Bucket capacity: the most spent at once. Default: `rate`, or ratePerSec rounded up. */
  burst: z.number().int().positive().optional(),
  /** Tokens one request spends. */
  cost: z.number().int().positive().default(1),
  /** `report` computes and records the decision (audit, counters) without refusing the request. */
  mode: z.enum(["enforce", "report"]).default("enforce"),
};

type RateInput = { rate?: number; per?: string; ratePerSec?: number; burst?: number; cost: number };

/** A rate is either `rate` (+ optional `per`) or `ratePerSec`, never both; cost fits the burst. */
function checkRate(value: RateInput, ctx: z.RefinementCtx) {
  if ((value.rate === undefined) === (value.ratePerSec === undefined)) {
    const message = "give exactly one of rate (with per) or ratePerSec";
    ctx.addIssue({ code: "custom", path: ["rate"], message });
  }
  if (value.ratePerSec !== undefined && value.per !== undefined) {
    const message = "per goes with rate, not with ratePerSec";
    ctx.addIssue({ code: "custom", path: ["per"], message });
  }
  const burst = value.burst ?? value.rate ?? Math.ceil(value.ratePerSec ?? 1);
  if (value.cost > burst) {
    const message = `cost ${value.cost} exceeds burst ${burst}: no request could pass`;
    ctx.addIssue({ code: "custom", path: ["cost"], message });
  }
}

/** A limit declared on a route or for every route. */
export const limitSchema = z
  .strictObject({
    ...rateFields,
    key: limitKeyKind,
    /** `pre-auth` runs before authentication (client-address and route keys only). */
    stage: z.enum(["pre-auth", "post-auth"]).optional(),
  })
  .superRefine((value, ctx) => {
    checkRate(value, ctx);
    const identityKey = ["consumer", "credential", "tenant"].includes(value.key);
    if (value.stage === "pre-auth" && identityKey) {
      const message = `a ${value.key} limit needs an identity: use stage post-auth`;
      ctx.addIssue({ code: "custom", path: ["stage"], message });
    }
  });

/** A limit attached to one named consumer or tenant; the key is implied. */
export const namedLimitSchema = z.strictObject(rateFields).superRefine(checkRate);

export type LimitConfig = z.infer<typeof limitSchema>;
export type NamedLimitConfig = z.infer<typeof namedLimitSchema>;

/** Rate limits that apply to one route; each has its own buckets, even with equal settings. */
export const routeLimitsSchema = z.array(limitSchema).optional();

/** Limits that apply across routes (per consumer, per tenant, global) and limiter settings. */
export const rateLimitSchema = z
  .strictObject({
    /** `auto`: gossip when the cluster is enabled (or --workers > 1), local otherwise. */
    engine: z.enum(["auto", "local", "gossip"]).default("auto"),
    /** Most live buckets kept in memory across all limits. */
    maxKeys: z.number().int().positive().default(100_000),
    /**
     * What a new key gets while `maxKeys` buckets are live: `shared` (all newcomers share one
     * bucket per limit), `deny` (429), or `allow` (untracked). Each case is counted.
     */
    onMaxKeys: z.enum(["shared", "deny", "allow"]).default("shared"),
    /** A bucket idle this long and full again is dropped (exactly as if it had never existed). */
    idleEvictMs: z.number().int().positive().default(60_000),
    /** Also send X-RateLimit-Limit / -Remaining / -Reset. */
    legacyHeaders: z.boolean().default(false),
    /** Send RateLimit-Policy and RateLimit on responses of limited routes. */
    headers: z.boolean().default(true),
    /** Limits applied on every route. */
    limits: z.array(limitSchema).default([]),
    /** Limits for named consumers, across all routes (key: consumer). */
    consumers: z.record(z.string().min(1), z.array(namedLimitSchema)).default({}),
    /** Limits for named tenants, across all routes (key: tenant). */
    tenants: z.record(z.string().min(1), z.array(namedLimitSchema)).default({}),
  })
  .prefault({});

export type RateLimitsConfig = z.infer<typeof rateLimitSchema>;
