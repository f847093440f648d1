import { z } from "zod";
import { routeAuthSchema } from "./identity.ts";
import { routeAccessSchema } from "./policy.ts";
import { routeLimitsSchema } from "./limits.ts";

const httpMethod = z.enum(["GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"]);

/** Characters that stay encoded in a path and are refused with 400 unless a route opts in. */
export const encodedCharacter = z.enum(["slash", "backslash", "nul", "question", "hash"]);

const routePath = z
  .string()
  .regex(/^\/[^?#\s]*$/, "must start with / and contain no query, fragment or space")
  .refine((p) => !p.includes("*") || p.endsWith("/*"), "`*` is allowed only as a final /*");

export const routeSchema = z.strictObject({
  id: z.string().regex(/^[A-Za-z0-9][A-Za-z0-9._-]*$/, "route ids use letters, digits, . _ -"),
  /** Exact hosts or `*.example.com` wildcards; any host when absent. */
  hosts: z.array(z.string().min(1)).optional(),
  /** `/exact`, `/prefix/*` (whole segments), or `/tenants/:tenant/items/:id`. */
  path: routePath,
  /** Any method when absent. */
  methods: z.array(httpMethod).min(1).optional(),
  upstream: z.string(),
  /** Removed from the front of the canonical path before forwarding. */
  stripPrefix: z
    .string()
    .regex(/^\/.*[^/]$|^\/$/, "must start with / and not end with /")
    .optional(),
  /** Replaces the forwarded path; `:name` is filled from path parameters. */
  rewrite: z.string().regex(/^\//, "must start with /").optional(),
  /** Per-route overrides of the upstream's timeouts. */
  timeouts: z
    .strictObject({
      connectMs: z.number().int().positive().optional(),
      responseHeadersMs: z.number().int().positive().optional(),
    })
    .optional(),
  /** Encoded characters this route accepts in its path; they are forwarded still encoded. */
  allowEncoded: z.array(encodedCharacter).default([]),
  /** Largest request body for this route; the listener's limit when absent. */
  maxBodyBytes: z.number().int().positive().optional(),
  auth: routeAuthSchema,
  access: routeAccessSchema,
  limits: routeLimitsSchema,
});

export type RouteConfig = z.infer<typeof routeSchema>;
