import { z } from "zod";

/** Rate limits that apply to one route. Owned by the rate-limit subsystem. */
export const routeLimitsSchema = z.array(z.strictObject({})).optional();

/** Limits that apply across routes (per consumer, per tenant, global) and limiter settings. */
export const rateLimitSchema = z.strictObject({}).prefault({});
